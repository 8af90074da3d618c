"""Periodic jobs with two LeadHub processes on one PostgreSQL: one owner per run.

Starts two servers on the same database (alert interval 1 s, summaries due at once), a fake
partner platform answering 401 (so that an authentication alert opens) and a fake SendGrid, then
checks that the condition has one open alert, mailed once, and that the daily summary went out
once, although both processes run the loop. Then kills the owner of the alert job with kill -9
and checks that the other process takes it over once the lease has run out, and that it still
mails nothing twice.

    python3 Tests/reliability/jobs_test.py --postgres postgres://… [--binary .build/debug/leadhub]
"""
import argparse
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "Tests", "reliability"))
from crash_test import Server, free_port  # noqa: E402
from delivery_test import call  # noqa: E402


class Partners(http.server.BaseHTTPRequestHandler):
    """The CRM refuses our credentials; SendGrid accepts every e-mail and we keep its subject."""
    mails = []
    crm_calls = [0]
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/v3/mail/send":
            with self.lock:
                self.mails.append(json.loads(body)["subject"])
            self.send_response(202)
        else:
            with self.lock:
                self.crm_calls[0] += 1
            self.send_response(401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def wait_for(check, seconds, pause=0.5):
    deadline = time.time() + seconds
    while True:
        value = check()
        if value or time.time() > deadline:
            return value
        time.sleep(pause)


def psql(url, query):
    return subprocess.run(["psql", url, "-Atc", query], check=True, capture_output=True, text=True).stdout.strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", required=True)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "leadhub"))
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="leadhub-jobs-")
    print("data directory:", data)

    partners_port = free_port()
    partners = http.server.ThreadingHTTPServer(("127.0.0.1", partners_port), Partners)
    threading.Thread(target=partners.serve_forever, daemon=True).start()
    partners_url = f"http://127.0.0.1:{partners_port}"

    def server():
        s = Server(args.binary, data, free_port())
        s.env.update(DATABASE_URL=args.postgres, LEADHUB_SECRET_KEY="MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
                     LEADHUB_ALERT_INTERVAL="1", LEADHUB_SUMMARY_HOUR="0", LEADHUB_SENDGRID_URL=partners_url,
                     LEADHUB_DELIVERY_RETRY_SCHEDULE="3600", LEADHUB_DELIVERY_TIMEOUT="2")
        return s

    servers = [server(), server()]
    subprocess.run([args.binary, "create-user", "--org", "Tâches", "--email", "bench@bench.test", "--password",
                    "bench-password-1", "--role", "admin"], cwd=ROOT, env=servers[0].env, check=True,
                   capture_output=True)
    for s in servers:
        s.start()
    one, two = servers
    token = call(one.base, "POST", "/api/auth/token", {"email": "bench@bench.test", "password": "bench-password-1"})["token"]
    crm = call(one.base, "POST", "/api/admin/crms", {
        "name": "ZR7 Digital", "api_url": partners_url + "/lead/api/create_lead/",
        "orders": {"PV": {"active": True, "departements": ["75"]}}}, token)
    account = call(one.base, "POST", "/api/admin/accounts", {
        "name": "Tâches", "crm_id": crm["id"], "product_types": ["PV"], "crm_tokens": {"PV": "jeton-refuse"}}, token)
    form = call(one.base, "POST", "/api/admin/forms", {"name": "PV", "account_id": account["id"], "product_type": "PV"},
                token)
    key = call(one.base, "POST", "/api/admin/api-keys", {"name": "taches"}, token)["key"]
    # Through the other process: both loops see the same organization from now on.
    call(two.base, "PATCH", "/api/admin/notifications", {
        "sendgrid_api_key": "SG.faux", "mail_from": "alertes@taches.test", "alert_emails": "ops@taches.test"}, token)
    call(two.base, "POST", "/api/v1/leads", {"form_code": form["code"], "phone": "0712485378", "nom": "Tâche",
                                             "code_postal": "75008", "statut_occupant": "proprietaire",
                                             "type_logement": "maison", "consent": {"phone": True}}, key=key)

    def open_auth_alerts():
        items = call(one.base, "GET", "/api/admin/alerts", token=token)["items"]
        return [a for a in items if a["category"] == "crm_auth" and not a.get("resolved_at")]

    assert wait_for(lambda: Partners.crm_calls[0] >= 1, 30), "the lead was never sent to the CRM"
    assert wait_for(open_auth_alerts, 30), "no authentication alert opened"
    assert wait_for(lambda: any("résumé du" in m for m in Partners.mails), 30), Partners.mails
    time.sleep(6)  # six more turns of both loops
    alerts = open_auth_alerts()
    summaries = [m for m in Partners.mails if "résumé du" in m]
    alert_mails = [m for m in Partners.mails if "alerte" in m]
    print(f"alerts open: {len(alerts)}, summaries: {len(summaries)}, alert e-mails: {len(alert_mails)}")
    assert len(alerts) == 1, alerts
    assert len(summaries) == 1, Partners.mails
    assert len(alert_mails) == 1, Partners.mails
    assert alerts[0]["count"] >= 3, alerts  # the owner keeps evaluating it

    # The owner of the alert job dies; the other takes over when its lease runs out (30 s).
    owner = psql(args.postgres, "SELECT owner FROM job_leases WHERE name = 'alert-monitor'")
    pid = int(owner.split("#")[1])
    victim = next(s for s in servers if s.process.pid == pid)
    survivor = two if victim is one else one
    victim.kill9()
    killed_at = time.time()
    taken = wait_for(lambda: psql(args.postgres, "SELECT owner FROM job_leases WHERE name = 'alert-monitor'") != owner,
                     60)
    assert taken, "no process took the alert job over"
    new_owner = psql(args.postgres, "SELECT owner FROM job_leases WHERE name = 'alert-monitor'")
    assert int(new_owner.split("#")[1]) == survivor.process.pid, new_owner
    print(f"alert job taken over by the other process {time.time() - killed_at:.1f} s after kill -9")
    def survivor_alerts():
        items = call(survivor.base, "GET", "/api/admin/alerts", token=token)["items"]
        return [a for a in items if a["category"] == "crm_auth" and not a.get("resolved_at")]
    before = survivor_alerts()
    time.sleep(3)
    after = survivor_alerts()
    assert len(after) == 1 and after[0]["count"] > before[0]["count"], (before, after)
    assert len([m for m in Partners.mails if "résumé du" in m]) == 1, Partners.mails
    assert len([m for m in Partners.mails if "alerte" in m]) == 1, Partners.mails
    survivor.stop()
    partners.shutdown()
    print("jobs: one alert, one alert e-mail, one summary with two processes; takeover after kill -9")


if __name__ == "__main__":
    main()
