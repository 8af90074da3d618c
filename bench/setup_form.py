"""Creates a CRM, an account, a PV form and an organization key through the admin API; prints
shell assignments FORM_CODE=… API_KEY=…

    python3 bench/setup_form.py BASE_URL [CRM_API_URL]"""
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
# With a CRM address (argv[2]), the CRM buys PV in the 75 and the leads are delivered to it.
crm_body = {"name": "ZR7 Digital"}
if len(sys.argv) > 2:
    crm_body.update(api_url=sys.argv[2], orders={"PV": {"active": True, "departements": ["75"]}})
crm = call("POST", "/api/admin/crms", crm_body, token)
account = call("POST", "/api/admin/accounts", {"name": "Bench", "crm_id": crm["id"], "product_types": ["PV"],
                                               "crm_tokens": {"PV": "jeton-bench"}}, token)
form = call("POST", "/api/admin/forms", {"name": "Bench PV", "account_id": account["id"], "product_type": "PV"}, token)
key = call("POST", "/api/admin/api-keys", {"name": "bench"}, token)
print(f"FORM_CODE={form['code']} API_KEY={key['key']}")
