"""Creates a CRM that sends to the fake CRM at argv[2], an account with its token, a PV form and an
organization key; prints shell assignments FORM_CODE=… API_KEY=…"""
import json
import sys
import urllib.request

base, crm_url = sys.argv[1], sys.argv[2]


def call(method, path, body=None, token=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request) as response:
        return json.load(response)


token = call("POST", "/api/auth/token", {"email": "bench@bench.test", "password": "bench-password-1"})["token"]
crm = call("POST", "/api/admin/crms", {"name": "ZR7 Digital", "api_url": crm_url,
                                       "orders": {"PV": {"active": True, "departements": ["75"]}}}, token)
account = call("POST", "/api/admin/accounts", {"name": "Bench", "crm_id": crm["id"], "product_types": ["PV"],
                                               "crm_tokens": {"PV": "jeton-bench"}}, token)
form = call("POST", "/api/admin/forms", {"name": "Bench PV", "account_id": account["id"], "product_type": "PV"}, token)
key = call("POST", "/api/admin/api-keys", {"name": "bench"}, token)
print(f"FORM_CODE={form['code']} API_KEY={key['key']}")
