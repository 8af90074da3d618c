"""Creates a CRM, an account, a PV form and a landing page leading to it through the admin API;
prints shell assignments ORG=… LP_CODE=… FORM_CODE=…"""
import json
import sys
import urllib.request

base = sys.argv[1]


def call(method, path, body=None, token=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request) as response:
        return json.load(response)


token = call("POST", "/api/auth/token", {"email": "bench@bench.test", "password": "bench-password-1"})["token"]
crm = call("POST", "/api/admin/crms", {"name": "ZR7 Digital"}, token)
account = call("POST", "/api/admin/accounts", {"name": "Bench", "crm_id": crm["id"], "product_types": ["PV"]}, token)
form = call("POST", "/api/admin/forms", {"name": "Bench PV", "account_id": account["id"], "product_type": "PV",
                                         "url": "https://bench.example/form"}, token)
lp = call("POST", "/api/admin/lps", {"name": "Bench LP", "account_id": account["id"], "form_id": form["id"],
                                     "url": "https://bench.example/lp"}, token)
org = call("GET", "/api/admin/organization", token=token)
print(f"ORG={org['tracking_id']} LP_CODE={lp['code']} FORM_CODE={form['code']}")
