#!/usr/bin/env bash
# Installs LeadHub on a Debian/Ubuntu server, or upgrades it, from an unpacked release bundle
# (deploy/build-release.sh). Idempotent: run it again with the same bundle and nothing changes;
# run it with a newer bundle and it upgrades: backup, migrations, restart, /ready check, and
# rollback to the previous release and the backup if the new one does not become ready.
#
#   sudo ./deploy/install.sh [--domain leads.example.fr] [--certbot --email vous@example.fr]
#                            [--port 8080] [--database-url postgres://…]
#
#   --domain D        nginx site for D, LEADHUB_PUBLIC_URL=https://D (without it: HTTP on any name)
#   --certbot         get a Let's Encrypt certificate for D (webroot), then serve HTTPS
#   --email E         the address certbot registers (with --certbot)
#   --port P          LeadHub's local port behind nginx (8080)
#   --database-url U  PostgreSQL instead of SQLite (written to the env file on first install)
#   --root DIR        install under DIR instead of / (tests: no system user, no chown)
#   --no-systemd      run LeadHub in the background without systemd (containers, tests)
#   --no-nginx        leave nginx alone
set -euo pipefail

bundle=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$bundle/VERSION" ] && [ -x "$bundle/leadhub" ] || {
  echo "install.sh: run it from an unpacked release bundle (deploy/build-release.sh)" >&2; exit 2; }
version=$(cat "$bundle/VERSION")
root=""; use_systemd=1; use_nginx=1; domain=""; certbot=0; email=""; port=""; database_url=""
while [ $# -gt 0 ]; do
  case "$1" in
    --domain) domain="$2"; shift 2 ;;
    --certbot) certbot=1; shift ;;
    --email) email="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --database-url) database_url="$2"; shift 2 ;;
    --root) root="${2%/}"; shift 2 ;;
    --no-systemd) use_systemd=0; shift ;;
    --no-nginx) use_nginx=0; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

say() { echo "[leadhub-install] $*"; }
fail() { echo "[leadhub-install] ÉCHEC / FAILED: $*" >&2; exit 1; }

case "$domain" in *[!A-Za-z0-9.-]*) fail "--domain '$domain' is not a host name" ;; esac
[ "$certbot" = 0 ] || [ -n "$domain" ] || fail "--certbot needs --domain"
[ "$certbot" = 0 ] || [ -n "$email" ] || fail "--certbot needs --email (Let's Encrypt's notices)"
if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then fail "run as root (sudo), or with --root DIR for a test install"; fi

P="$root"
app_dir="$P/opt/leadhub"
releases="$app_dir/releases"
current="$app_dir/current"
previous="$app_dir/previous"
etc_dir="$P/etc/leadhub"
env_file="$etc_dir/leadhub.env"
data="$P/var/lib/leadhub"
backups="$data/backups"
unit="$P/etc/systemd/system/leadhub.service"
webroot="$P/var/www/letsencrypt"
pid_file="$data/leadhub.pid"   # --no-systemd only
log_file="$data/leadhub.log"   # --no-systemd only

# 1. The system user (a real install only).
if [ -z "$root" ]; then
  if ! id leadhub >/dev/null 2>&1; then
    useradd --system --user-group --home-dir /var/lib/leadhub --shell /usr/sbin/nologin leadhub
    say "system user leadhub created"
  fi
  owner=leadhub
else
  owner=$(id -un)
fi
as_owner() { if [ -z "$root" ]; then runuser -u leadhub -- "$@"; else "$@"; fi; }

# 2. Folders.
mkdir -p "$releases" "$etc_dir" "$data" "$backups" "$webroot" "$(dirname "$unit")"
chmod 750 "$data"
[ -n "$root" ] || chown leadhub:leadhub "$data" "$backups"

# 3. The env file: written once, with a generated secret key; later runs keep it as it is (the
#    key encrypts the partners' secrets: changing it would make them unreadable).
if [ ! -f "$env_file" ]; then
  secret=$(openssl rand -base64 32 2>/dev/null || head -c 32 /dev/urandom | base64)
  {
    echo "# LeadHub configuration (see README's table). Written by install.sh; edit, then: systemctl restart leadhub"
    echo "LEADHUB_DATA_DIR=$data"
    echo "LEADHUB_RESOURCES_DIR=$current"
    echo "LEADHUB_HOST=127.0.0.1"
    echo "LEADHUB_PORT=${port:-8080}"
    echo "LEADHUB_SECRET_KEY=$secret"
    echo "LEADHUB_TRUST_PROXY=true"
    if [ -n "$domain" ]; then echo "LEADHUB_PUBLIC_URL=https://$domain"; else echo "# LEADHUB_PUBLIC_URL=https://leads.example.fr"; fi
    if [ -n "$database_url" ]; then echo "DATABASE_URL=$database_url"; else echo "# DATABASE_URL=postgres://leadhub:…@127.0.0.1:5432/leadhub"; fi
    echo "# Who may download backups of the whole instance (comma-separated e-mails):"
    echo "# LEADHUB_OPERATOR_EMAILS=vous@example.fr"
  } > "$env_file.new"
  chmod 640 "$env_file.new"
  [ -n "$root" ] || chown root:leadhub "$env_file.new"
  mv "$env_file.new" "$env_file"
  say "configuration written to $env_file (secret key generated)"
else
  say "configuration kept: $env_file"
fi
setting() { sed -n "s/^$1=//p" "$env_file" | tail -1; }
port=$(setting LEADHUB_PORT); port=${port:-8080}
database_url=$(setting DATABASE_URL)
# The domain of an earlier install: the host of LEADHUB_PUBLIC_URL (an upgrade needs no --domain).
public_host=$(setting LEADHUB_PUBLIC_URL | sed -E 's#^[a-z]+://##; s#[:/].*##')
if [ -z "$domain" ]; then
  domain="$public_host"
elif [ -n "$public_host" ] && [ "$public_host" != "$domain" ]; then
  say "note: --domain $domain, but LEADHUB_PUBLIC_URL in $env_file names $public_host (edit it if the domain changed)"
fi
envs=()
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue ;; *=*) envs+=("$line") ;; esac
done < "$env_file"
# Runs a release's binary with the configuration and that release's resources.
run_release() {
  local release="$1"; shift
  as_owner env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${envs[@]}" LEADHUB_RESOURCES_DIR="$release" "$release/leadhub" "$@"
}

# 4. What is installed now.
old=""
if [ -L "$current" ]; then old=$(readlink -f "$current"); fi
target="$releases/$version"
if [ -n "$old" ] && [ "$old" = "$(readlink -f "$target" 2>/dev/null || true)" ]; then
  say "release $version already installed: checking it"
else
  rm -rf "$target.new"
  cp -a "$bundle" "$target.new"
  rm -rf "$target"
  mv "$target.new" "$target"
  say "release $version copied to $target"
fi

# 5. Backup of the database before the migrations of an upgrade.
backup=""
if [ -n "$old" ] && [ "$old" != "$target" ]; then
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  if [ -n "$database_url" ]; then
    command -v pg_dump >/dev/null || fail "pg_dump is needed to back up PostgreSQL before upgrading (apt-get install postgresql-client)"
    backup="$backups/before-$version-$stamp.dump"
    as_owner pg_dump -Fc -f "$backup" "$database_url" || fail "backup failed: nothing was changed"
  elif [ -f "$data/leadhub.sqlite" ]; then
    backup="$backups/before-$version-$stamp.sqlite"
    run_release "$old" backup --to "$backup" >/dev/null || fail "backup failed: nothing was changed"
  fi
  [ -z "$backup" ] || say "backup before upgrading: $backup"
  # Keep the five most recent upgrade backups.
  ls -1t "$backups"/before-* 2>/dev/null | tail -n +6 | xargs -r rm -f
fi

stop_leadhub() {
  if [ "$use_systemd" = 1 ]; then
    systemctl stop leadhub || true
  elif [ -f "$pid_file" ]; then
    local pid; pid=$(cat "$pid_file")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    fi
    rm -f "$pid_file"
  fi
}
start_leadhub() {
  if [ "$use_systemd" = 1 ]; then
    systemctl daemon-reload
    systemctl enable leadhub >/dev/null 2>&1
    systemctl restart leadhub
  else
    stop_leadhub
    # `&` on the command alone, so that $! is the server's own pid (exec all the way down).
    (
      cd "$current" || exit 1
      nohup env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${envs[@]}" "$current/leadhub" serve --env production \
        >>"$log_file" 2>&1 &
      echo $! > "$pid_file"
    )
  fi
}
ready() {
  for _ in $(seq 1 120); do
    if curl -fsS --max-time 2 "http://127.0.0.1:$port/ready" >/dev/null 2>&1; then return 0; fi
    if [ "$use_systemd" = 0 ] && ! kill -0 "$(cat "$pid_file" 2>/dev/null || echo 0)" 2>/dev/null; then return 1; fi
    sleep 0.5
  done
  return 1
}
switch_to() {
  ln -sfn "$1" "$app_dir/.current.new"
  mv -Tf "$app_dir/.current.new" "$current"
}
where_to_look() {
  if [ "$use_systemd" = 1 ]; then echo "journalctl -u leadhub -n 50"; else echo "tail -n 50 $log_file"; fi
}
rollback() {
  local reason="$1"
  say "$reason: rolling back to $(basename "$old")"
  stop_leadhub
  switch_to "$old"
  if [ -n "$backup" ]; then
    if [ -n "$database_url" ]; then
      as_owner pg_restore --clean --if-exists -d "$database_url" "$backup" || say "pg_restore reported errors: check the database"
    else
      run_release "$old" restore "$backup" || say "restore reported an error: check $data"
    fi
    say "database restored from $backup"
  fi
  start_leadhub
  if ready; then
    fail "release $version was not installed ($reason); $(basename "$old") runs again and answers /ready. Look: $(where_to_look)"
  fi
  fail "release $version failed ($reason) and the rollback to $(basename "$old") does not answer /ready either. Look: $(where_to_look)"
}

# 6. Migrations by the new release (the running one keeps serving: migrations only add).
if ! run_release "$target" migrate >/dev/null 2>"$data/migrate.err"; then
  cat "$data/migrate.err" >&2
  [ -n "$old" ] && [ "$old" != "$target" ] && rollback "migrations failed"
  fail "migrations failed (above)"
fi
rm -f "$data/migrate.err"

# 7. The service.
sed "s#@PREFIX@#$P#g" "$target/deploy/leadhub.service" > "$unit.new"
mv "$unit.new" "$unit"
if [ -n "$old" ] && [ "$old" != "$target" ]; then ln -sfn "$old" "$previous"; fi
switch_to "$target"
start_leadhub
if ! ready; then
  if [ -n "$old" ] && [ "$old" != "$target" ]; then rollback "/ready did not answer within 60 s"; fi
  fail "LeadHub does not answer /ready on port $port. Look: $(where_to_look)"
fi
say "LeadHub $version answers /ready on 127.0.0.1:$port"

# 8. nginx (written each run: the file is LeadHub's).
if [ "$use_nginx" = 1 ] && { [ -n "$root" ] || command -v nginx >/dev/null; }; then
  sites="$P/etc/nginx/sites-available"; enabled="$P/etc/nginx/sites-enabled"
  mkdir -p "$sites" "$enabled"
  name=${domain:-_}
  cert="$P/etc/letsencrypt/live/$domain/fullchain.pem"; key="$P/etc/letsencrypt/live/$domain/privkey.pem"
  write_site() {
    sed -e "s#@PREFIX@#$P#g" -e "s#@DOMAIN@#$name#g" -e "s#@PORT@#$port#g" -e "s#@CERT@#$cert#g" -e "s#@KEY@#$key#g" \
      "$target/deploy/$1" > "$sites/leadhub.new"
    mv "$sites/leadhub.new" "$sites/leadhub"
    ln -sfn "$sites/leadhub" "$enabled/leadhub"
  }
  reload_nginx() {
    [ -z "$root" ] || return 0
    nginx -t -q || fail "nginx -t refused the configuration (above)"
    systemctl reload nginx 2>/dev/null || nginx -s reload
  }
  if [ -n "$domain" ] && [ -f "$cert" ]; then
    write_site nginx-leadhub.conf
  else
    write_site nginx-leadhub-http.conf
    if [ -z "$domain" ] && [ -L "$enabled/default" ]; then
      rm -f "$enabled/default"
      say "nginx: the stock default site is disabled (LeadHub answers on every name)"
    fi
    reload_nginx
    if [ "$certbot" = 1 ] && [ -z "$root" ]; then
      command -v certbot >/dev/null || apt-get install -y -qq certbot >/dev/null
      certbot certonly --webroot -w "$webroot" -d "$domain" --email "$email" --agree-tos --non-interactive \
        --keep-until-expiring || fail "certbot could not get a certificate for $domain (DNS pointing here? port 80 open?)"
      write_site nginx-leadhub.conf
      say "certificate for $domain installed; renewals by certbot's timer"
    fi
  fi
  reload_nginx
  say "nginx site: $sites/leadhub ($( [ -f "$cert" ] && [ -n "$domain" ] && echo "HTTPS for $domain" || echo "HTTP for $name"))"
fi

# 9. Old releases: keep the current one, the previous one and one more.
ls -1dt "$releases"/*/ 2>/dev/null | sed 's#/$##' | while read -r release; do
  [ "$release" = "$(readlink -f "$current")" ] && continue
  [ -L "$previous" ] && [ "$release" = "$(readlink -f "$previous")" ] && continue
  echo "$release"
done | tail -n +2 | xargs -r rm -rf

say "done: LeadHub $version$( [ -n "$old" ] && [ "$old" != "$target" ] && echo " (was $(basename "$old"))")"
if [ -z "$old" ]; then
  say "first start: the administrator's one-time password is in $(where_to_look | sed 's/ -n 50//') (\"Premier démarrage\")"
fi
