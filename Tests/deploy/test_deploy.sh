#!/usr/bin/env bash
# What can be checked of a VPS install on a CI machine, against a release bundle:
#   1. the tarball unpacks in a temporary folder and the server starts from there (views, tracker);
#      without its resources it says so in one line and exits non-zero;
#   2. install.sh into a temporary root without systemd: first install, a re-run that changes
#      nothing, an upgrade (backup, migrations, restart), and a broken upgrade rolled back;
#   3. the generated systemd unit passes `systemd-analyze verify` (when available);
#   4. the generated nginx sites (HTTP, and HTTPS with a self-signed certificate) pass `nginx -t`.
#
#   Tests/deploy/test_deploy.sh dist/leadhub-V-linux-ARCH.tar.gz
set -euo pipefail
cd "$(dirname "$0")/../.."
tarball=$(readlink -f "$1")
work=$(mktemp -d /tmp/leadhub-deploy-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/root/var/lib/leadhub/leadhub.pid" ] && kill "$(cat "$work/root/var/lib/leadhub/leadhub.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
step() { echo; echo "--- $1"; }
check() { if ! eval "$1"; then echo "FAILED: $2" >&2; exit 1; fi; echo "ok: $2"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() {
  for _ in $(seq 1 120); do curl -fsS --max-time 2 "http://127.0.0.1:$1/ready" >/dev/null 2>&1 && return 0; sleep 0.5; done
  return 1
}

step "1. The bundle starts from its tarball"
mkdir -p "$work/unpacked" && tar -xzf "$tarball" -C "$work/unpacked"
bundle=$(ls -d "$work/unpacked"/leadhub-*)
version=$(cat "$bundle/VERSION")
check '[ -x "$bundle/leadhub" ] && [ -d "$bundle/Resources/Views" ] && [ -d "$bundle/Public" ] && [ -x "$bundle/deploy/install.sh" ]' \
  "bundle $version holds the binary, Resources, Public and deploy/"
if command -v ldd >/dev/null; then
  check '! ldd "$bundle/leadhub" | grep -q libswiftCore' "the Swift standard library is linked in (no libswiftCore.so needed)"
fi
port=$(free_port)
(cd "$work" && exec env -i PATH="$PATH" LEADHUB_DATA_DIR="$work/plain-data" LEADHUB_RESOURCES_DIR="$bundle" \
  LEADHUB_PORT="$port" LEADHUB_HOST=127.0.0.1 LEADHUB_BCRYPT_COST=8 "$bundle/leadhub" serve --env production \
  >"$work/plain.log" 2>&1) &
pids+=($!)
check 'wait_ready "$port"' "the unpacked server answers /ready"
check 'curl -fsS "http://127.0.0.1:$port/login" | grep -q "<form"' "it renders the login page (views found)"
check 'curl -fsS "http://127.0.0.1:$port/t.js" | grep -q "LeadHub"' "it serves the tracker"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
set +e
env -i PATH="$PATH" LEADHUB_DATA_DIR="$work/plain-data" LEADHUB_RESOURCES_DIR="$work/nowhere" \
  "$bundle/leadhub" serve --port "$(free_port)" >"$work/missing.out" 2>&1
missing=$?
set -e
check '[ "$missing" -ne 0 ] && [ "$(grep -c . "$work/missing.out")" -eq 1 ] && grep -q "Resources" "$work/missing.out"' \
  "without its resources it exits $missing with one line: $(head -c 160 "$work/missing.out")"

step "2. install.sh into a temporary root, without systemd"
root="$work/root"
port=$(free_port)
"$bundle/deploy/install.sh" --root "$root" --no-systemd --port "$port" --domain leads.example.test
check '[ -f "$root/etc/leadhub/leadhub.env" ] && grep -q "^LEADHUB_SECRET_KEY=" "$root/etc/leadhub/leadhub.env"' \
  "env file written with a generated secret key"
check '[ "$(stat -c %a "$root/etc/leadhub/leadhub.env")" = 640 ]' "env file readable by its owner and group only"
check '[ "$(readlink -f "$root/opt/leadhub/current")" = "$root/opt/leadhub/releases/$version" ]' "current → $version"
check 'grep -q "ProtectSystem=strict" "$root/etc/systemd/system/leadhub.service" && grep -q "NoNewPrivileges=true" "$root/etc/systemd/system/leadhub.service"' \
  "hardened systemd unit written"
check 'grep -q "server_name leads.example.test" "$root/etc/nginx/sites-available/leadhub" && [ -L "$root/etc/nginx/sites-enabled/leadhub" ]' \
  "nginx site written and enabled (HTTP until a certificate exists)"
check 'wait_ready "$port"' "installed LeadHub answers /ready"
env_before=$(sha256sum "$root/etc/leadhub/leadhub.env")
envs=(); while IFS= read -r line; do case "$line" in ''|'#'*) ;; *) envs+=("$line") ;; esac; done < "$root/etc/leadhub/leadhub.env"
env -i PATH="$PATH" "${envs[@]}" LEADHUB_BCRYPT_COST=8 "$root/opt/leadhub/current/leadhub" create-user --org "Déploiement" \
  --email ops@deploy.test --password "deploy-password-1" --role admin >/dev/null
token() { curl -fsS -H 'Content-Type: application/json' -d '{"email":"ops@deploy.test","password":"deploy-password-1"}' \
  "http://127.0.0.1:$port/api/auth/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
check '[ -n "$(token)" ]' "a user created on the installed instance signs in"

"$bundle/deploy/install.sh" --root "$root" --no-systemd --domain leads.example.test
check '[ "$(sha256sum "$root/etc/leadhub/leadhub.env")" = "$env_before" ]' "re-run: env file (and its secret key) unchanged"
check 'wait_ready "$port" && [ -n "$(token)" ]' "re-run: still ready, same data"
check '[ "$(ls "$root/var/lib/leadhub/backups" | wc -l)" -eq 0 ]' "re-run of the same release: no backup, nothing to migrate"

# An upgrade: the same binary as a new version.
cp -a "$bundle" "$work/next" && echo "$version-next" > "$work/next/VERSION"
"$work/next/deploy/install.sh" --root "$root" --no-systemd
check '[ "$(readlink -f "$root/opt/leadhub/current")" = "$root/opt/leadhub/releases/$version-next" ]' "upgrade: current → $version-next"
check '[ "$(readlink -f "$root/opt/leadhub/previous")" = "$root/opt/leadhub/releases/$version" ]' "upgrade: previous → $version"
check 'ls "$root/var/lib/leadhub/backups"/before-"$version"-next-*.sqlite >/dev/null 2>&1' "upgrade: database backed up first"
check 'wait_ready "$port" && [ -n "$(token)" ]' "upgrade: ready, same data"

# A broken release whose server never becomes ready (it migrates, then `serve` exits at once):
# the install rolls back to the previous release and the backup, and says so.
cp -a "$bundle" "$work/broken" && echo "$version-broken" > "$work/broken/VERSION"
mv "$work/broken/leadhub" "$work/broken/leadhub.real"
printf '#!/bin/sh\n[ "$1" = serve ] && { echo "broken on purpose"; exit 3; }\nexec "$(dirname "$0")/leadhub.real" "$@"\n' \
  > "$work/broken/leadhub"
chmod 755 "$work/broken/leadhub"
set +e
"$work/broken/deploy/install.sh" --root "$root" --no-systemd > "$work/broken.out" 2>&1
broken=$?
set -e
cat "$work/broken.out"
check '[ "$broken" -ne 0 ] && grep -q "/ready did not answer" "$work/broken.out" && grep -q "database restored" "$work/broken.out"' \
  "broken release: install.sh fails (exit $broken), restores the backup and rolls back"
check '[ "$(readlink -f "$root/opt/leadhub/current")" = "$root/opt/leadhub/releases/$version-next" ]' "broken release: current → $version-next again"
check 'wait_ready "$port" && [ -n "$(token)" ]' "broken release: the previous release serves the same data"

# A release whose migrations fail (here: it lacks its resources): nothing is switched.
cp -a "$bundle" "$work/nomig" && echo "$version-nomig" > "$work/nomig/VERSION"
rm -rf "$work/nomig/Resources/Views"
set +e
"$work/nomig/deploy/install.sh" --root "$root" --no-systemd > "$work/nomig.out" 2>&1
nomig=$?
set -e
cat "$work/nomig.out"
check '[ "$nomig" -ne 0 ] && grep -q "migrations failed" "$work/nomig.out"' "failed migrations: install.sh fails (exit $nomig)"
check '[ "$(readlink -f "$root/opt/leadhub/current")" = "$root/opt/leadhub/releases/$version-next" ] && wait_ready "$port" && [ -n "$(token)" ]' \
  "failed migrations: $version-next still serves the same data"

step "3. systemd-analyze verify"
if command -v systemd-analyze >/dev/null; then
  # The unit as it is written on a server (prefix /), checked against the bundle's binary there.
  mkdir -p "$work/verify"
  sed "s#@PREFIX@/opt/leadhub/current/leadhub#$bundle/leadhub#g; s#@PREFIX@##g" "$bundle/deploy/leadhub.service" \
    > "$work/verify/leadhub.service"
  set +e
  systemd-analyze verify --man=no "$work/verify/leadhub.service" > "$work/verify.out" 2>&1
  verified=$?
  set -e
  sed 's/^/  systemd-analyze: /' "$work/verify.out"
  # Lines about the unit's own settings fail the check; notes about this machine (no bus, no
  # /opt/leadhub/current, no leadhub user here) do not.
  complaints=$(grep -i "leadhub.service" "$work/verify.out" \
    | grep -v "leadhub.env\|/opt/leadhub/current\|WorkingDirectory\|User=\|Group=\|bus" || true)
  check '[ -z "$complaints" ]' "systemd-analyze verify (exit $verified): no complaint about the unit's settings"
else
  echo "skipped: systemd-analyze not installed"
fi

step "4. nginx -t on the sites"
if command -v nginx >/dev/null; then
  n="$work/nginx"; mkdir -p "$n/logs" "$n/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=leads.example.test" \
    -keyout "$n/tls/privkey.pem" -out "$n/tls/fullchain.pem" 2>/dev/null
  for site in nginx-leadhub-http.conf nginx-leadhub.conf; do
    sed -e "s#@PREFIX@#$n#g" -e "s#@DOMAIN@#leads.example.test#g" -e "s#@PORT@#8080#g" \
      -e "s#@CERT@#$n/tls/fullchain.pem#g" -e "s#@KEY@#$n/tls/privkey.pem#g" "$bundle/deploy/$site" > "$n/site.conf"
    cat > "$n/nginx.conf" <<CONF
pid $n/nginx.pid;
error_log $n/logs/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $n/body; proxy_temp_path $n/proxy; fastcgi_temp_path $n/fastcgi;
    uwsgi_temp_path $n/uwsgi; scgi_temp_path $n/scgi;
    include $n/site.conf;
}
CONF
    check 'nginx -t -q -p "$n" -c "$n/nginx.conf"' "nginx -t accepts $site"
  done
  # The site install.sh wrote into the temporary root, as it is.
  sed -e "s#include $n/site.conf#include $root/etc/nginx/sites-enabled/leadhub#" -i "$n/nginx.conf"
  check 'nginx -t -q -p "$n" -c "$n/nginx.conf"' "nginx -t accepts the site install.sh wrote"
else
  echo "skipped: nginx not installed"
fi
echo; echo "deploy checks passed"
