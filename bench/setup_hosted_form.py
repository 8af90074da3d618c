"""Creates a CRM, an account and a PV form through the admin API, then publishes the PV template
of hosted forms through the builder page (logged in like a browser); prints ORG=… FORM_CODE=…"""
import http.cookiejar
import json
import re
import sys
import urllib.parse
import urllib.request

base = sys.argv[1]
EMAIL, PASSWORD = "bench@bench.test", "bench-password-1"


def call(method, path, body=None, token=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request) as response:
        return json.load(response)


token = call("POST", "/api/auth/token", {"email": EMAIL, "password": PASSWORD})["token"]
crm = call("POST", "/api/admin/crms", {"name": "ZR7 Digital"}, token)
account = call("POST", "/api/admin/accounts", {"name": "Bench", "crm_id": crm["id"], "product_types": ["PV"]}, token)
form = call("POST", "/api/admin/forms", {"name": "Bench PV hébergé", "account_id": account["id"],
                                         "product_type": "PV"}, token)
org = call("GET", "/api/admin/organization", token=token)

jar = http.cookiejar.CookieJar()
browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def csrf(html):
    return re.search(r'name="_csrf" value="([^"]+)"', html).group(1)


def post(path, fields):
    data = urllib.parse.urlencode(fields).encode()
    with browser.open(urllib.request.Request(base + path, data=data, method="POST")) as response:
        return response.read().decode()


with browser.open(base + "/login") as response:
    login_page = response.read().decode()
post("/login", {"email": EMAIL, "password": PASSWORD, "_csrf": csrf(login_page), "next": "/"})
builder = f"/forms/{form['id']}/builder"
with browser.open(base + builder) as response:
    token_csrf = csrf(response.read().decode())
post(builder, {"_csrf": token_csrf, "action": "template", "template": "pv"})
with browser.open(base + builder) as response:
    page = response.read().decode()
definition = re.search(r'<textarea id="definition"[^>]*>(.*?)</textarea>', page, re.S).group(1)
definition = (definition.replace("&quot;", '"').replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">")
              .replace("&amp;", "&"))
result = post(builder, {"_csrf": token_csrf, "action": "publish", "definition": definition})
assert "Version 1 publiée" in result, result[-2000:]
print(f"ORG={org['tracking_id']} FORM_CODE={form['code']}")
