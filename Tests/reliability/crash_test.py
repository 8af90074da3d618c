"""Crash test of lead intake: under concurrent load with idempotency keys, kill -9 LeadHub at
random moments, restart it, retry every unacknowledged lead with its key, and check that every
lead that got a 201 is stored exactly once and every retried lead exactly once.

    python3 Tests/reliability/crash_test.py [--rounds 10] [--clients 16] [--binary .build/debug/leadhub]
"""
import argparse
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, data, port):
        self.binary, self.data, self.port = binary, data, port
        self.env = dict(os.environ, LEADHUB_DATA_DIR=data, LEADHUB_BCRYPT_COST="8", LOG_LEVEL="warning",
                        LEADHUB_INTAKE_KEY_RATE="100000")
        self.env.pop("DATABASE_URL", None)
        self.process = None
        self.base = f"http://127.0.0.1:{port}"

    def start(self):
        log = open(os.path.join(self.data, "server.log"), "a")
        self.process = subprocess.Popen(
            [self.binary, "serve", "--hostname", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/ready", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("LeadHub did not start")

    def kill9(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def post_lead(base, key, lead):
    body = json.dumps(lead).encode()
    request = urllib.request.Request(base + "/api/v1/leads", data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", "Token " + API_KEY)
    request.add_header("Idempotency-Key", key)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, None
    except OSError:
        return None, None


def make_lead(number):
    return {"form_code": FORM_CODE, "phone": "074%07d" % (1000000 + number), "nom": "Crash", "code_postal": "75008",
            "statut_occupant": "proprietaire", "type_logement": "maison", "session_id": "crash-%d" % number,
            "consent": {"phone": True, "text": "J'accepte d'être rappelé."}}


def main():
    global API_KEY, FORM_CODE
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "leadhub"))
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    random.seed(args.seed)
    data = tempfile.mkdtemp(prefix="leadhub-crash-")
    print("data directory:", data)
    server = Server(args.binary, data, free_port())
    subprocess.run([args.binary, "create-user", "--org", "Crash", "--email", "bench@bench.test", "--password",
                    "bench-password-1", "--role", "admin"], cwd=ROOT, env=server.env, check=True, capture_output=True)
    server.start()
    setup = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "setup_form.py"), server.base],
                           check=True, capture_output=True, text=True).stdout
    values = dict(part.split("=", 1) for part in setup.split())
    FORM_CODE, API_KEY = values["FORM_CODE"], values["API_KEY"]

    acknowledged = {}  # key -> lead id from a 201
    issued = {}  # key -> lead body
    lock = threading.Lock()
    counter = [0]

    for round_number in range(1, args.rounds + 1):
        stop = threading.Event()

        def client():
            while not stop.is_set():
                with lock:
                    counter[0] += 1
                    number = counter[0]
                key = "crash-%d" % number
                lead = make_lead(number)
                with lock:
                    issued[key] = lead
                status, body = post_lead(server.base, key, lead)
                if status == 201:
                    with lock:
                        acknowledged[key] = body["id"]
                elif status is None:
                    return  # the server died: this client stops for the round

        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        time.sleep(random.uniform(0.2, 1.5))
        server.kill9()
        stop.set()
        for thread in threads:
            thread.join()
        server.start()

        pending = [key for key in issued if key not in acknowledged]
        for key in pending:
            for _ in range(50):
                status, body = post_lead(server.base, key, issued[key])
                if status == 201:
                    acknowledged[key] = body["id"]
                    break
                time.sleep(0.1)
            else:
                print("round %d: lead %s never acknowledged" % (round_number, key))
                sys.exit(1)
        print("round %d: %d leads issued, %d retried after kill -9" % (round_number, len(issued), len(pending)))

    server.stop()
    database = sqlite3.connect(os.path.join(data, "leadhub.sqlite"))
    stored = database.execute("SELECT COUNT(*) FROM leads").fetchone()[0]
    ids = {str(row[0]).lower() for row in database.execute("SELECT id FROM leads")}
    missing = [key for key, lead_id in acknowledged.items() if lead_id.lower() not in ids]
    per_phone = database.execute("SELECT phone, COUNT(*) FROM leads GROUP BY phone HAVING COUNT(*) > 1").fetchall()
    print("leads issued %d, acknowledged %d, stored %d, seed %d" % (len(issued), len(acknowledged), stored, args.seed))
    ok = stored == len(issued) == len(acknowledged) and not missing and not per_phone
    if missing:
        print("acknowledged but missing:", missing[:10])
    if per_phone:
        print("stored twice:", per_phone[:10])
    print("crash: %d passed, %d failed" % (args.rounds if ok else 0, 0 if ok else args.rounds))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
