"""Delivery under crashes and across servers.

Builds a backlog of leads with the delivery workers off, then lets LeadHub processes (one on
SQLite, or several sharing PostgreSQL with --postgres) deliver it to a fake CRM on loopback,
optionally killing them with kill -9 at random moments (--kills) and restarting them. Checks that
the fake CRM received every lead, each under one delivery id, and the same delivery id twice only
for deliveries caught mid-request by a kill (never without kills).

    python3 Tests/reliability/delivery_test.py [--leads 300] [--kills 3] [--processes 1]
        [--postgres postgres://…] [--binary .build/debug/leadhub]
"""
import argparse
import collections
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "Tests", "reliability"))
from crash_test import Server, free_port  # noqa: E402

CONCURRENCY = 8


def call(base, method, path, body=None, token=None, key=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    if key:
        request.add_header("Authorization", "Token " + key)
    with urllib.request.urlopen(request, timeout=30) as answer:
        text = answer.read()
        return json.loads(text) if text else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=300)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "leadhub"))
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--timeout", type=int, default=300)
    args = parser.parse_args()
    random.seed(args.seed)
    data = tempfile.mkdtemp(prefix="leadhub-delivery-")
    print("data directory:", data, "seed", args.seed)

    crm_port = free_port()
    crm_log = os.path.join(data, "fake-crm.log")
    fake = subprocess.Popen([args.binary, "fake-crm", "--port", str(crm_port), "--record", crm_log, "--delay-ms", "30"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def server(port, workers):
        s = Server(args.binary, data, port)
        s.env.update(LEADHUB_SECRET_KEY="MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
                     LEADHUB_DELIVERY_WORKERS="1" if workers else "0", LEADHUB_DELIVERY_TIMEOUT="2",
                     LEADHUB_DELIVERY_LEASE_MARGIN="1", LEADHUB_DELIVERY_RETRY_SCHEDULE=",".join(["1"] * 20),
                     LEADHUB_DELIVERY_CONCURRENCY=str(CONCURRENCY), LEADHUB_BREAKER_THRESHOLD="1000")
        if args.postgres:
            s.env["DATABASE_URL"] = args.postgres
        return s

    first = server(free_port(), workers=False)
    subprocess.run([args.binary, "create-user", "--org", "Livraison", "--email", "bench@bench.test", "--password",
                    "bench-password-1", "--role", "admin"], cwd=ROOT, env=first.env, check=True, capture_output=True)
    first.start()
    base = first.base
    token = call(base, "POST", "/api/auth/token", {"email": "bench@bench.test", "password": "bench-password-1"})["token"]
    crm = call(base, "POST", "/api/admin/crms", {
        "name": "ZR7 Digital", "api_url": f"http://127.0.0.1:{crm_port}/lead/api/create_lead/",
        "orders": {"PV": {"active": True, "departements": ["75"]}}}, token)
    account = call(base, "POST", "/api/admin/accounts", {
        "name": "Livraison", "crm_id": crm["id"], "product_types": ["PV"], "crm_tokens": {"PV": "jeton-livraison"}}, token)
    form = call(base, "POST", "/api/admin/forms", {"name": "PV", "account_id": account["id"], "product_type": "PV"}, token)
    key = call(base, "POST", "/api/admin/api-keys", {"name": "livraison"}, token)["key"]

    phones = ["075%07d" % (1000000 + n) for n in range(args.leads)]
    pending = list(phones)
    lock = threading.Lock()

    def submit():
        while True:
            with lock:
                if not pending:
                    return
                phone = pending.pop()
            call(base, "POST", "/api/v1/leads", {"form_code": form["code"], "phone": phone, "nom": "Livraison",
                                                 "code_postal": "75008", "statut_occupant": "proprietaire",
                                                 "type_logement": "maison", "consent": {"phone": True}}, key=key)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first.stop()
    print(f"backlog: {args.leads} leads")

    servers = [server(free_port(), workers=True) for _ in range(args.processes)]
    started = time.time()
    for s in servers:
        s.start()
    kills = 0
    while kills < args.kills:
        time.sleep(random.uniform(0.2, 1.5))
        victim = random.choice(servers)
        victim.kill9()
        kills += 1
        time.sleep(random.uniform(0.0, 0.5))
        victim.start()

    deadline = time.time() + args.timeout
    waiting = None
    while time.time() < deadline:
        stats = call(servers[0].base, "GET", "/api/admin/deliveries/stats", token=token)
        counts = stats["counts"]
        waiting = counts.get("pending", 0) + counts.get("retrying", 0)
        if waiting == 0:
            break
        time.sleep(0.5)
    elapsed = time.time() - started
    for s in servers:
        s.stop()
    fake.send_signal(signal.SIGTERM)
    fake.wait(timeout=10)

    received = collections.defaultdict(list)  # phone -> delivery ids
    for line in open(crm_log):
        parts = line.split()
        if len(parts) == 2:
            received[parts[1]].append(parts[0])
    missing = [p for p in phones if p not in received]
    several_ids = [p for p in phones if len(set(received.get(p, []))) > 1]
    repeats = sum(len(ids) - 1 for ids in received.values())
    print(f"delivered in {elapsed:.1f} s with {args.processes} process(es), {kills} kill -9; "
          f"missing {len(missing)}, leads under several delivery ids {len(several_ids)}, repeated sends {repeats}, "
          f"still waiting {waiting}")
    allowed = kills * CONCURRENCY * args.processes
    ok = not missing and not several_ids and waiting == 0 and repeats <= allowed
    print("delivery:", "passed" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
