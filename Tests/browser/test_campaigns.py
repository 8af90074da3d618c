"""An A/B campaign as a visitor meets it: the ad's entry link /c/{code} sends a real browser to its
landing page variant, the tracker adopts the visitor id, the form posts the lead, and LeadHub
counts that lead for the variant it stored, not for anything the browser says."""
import functools
import http.server
import os
import shutil
import tempfile
import threading
import urllib.parse
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import console_errors, free_port, screenshot
from test_leads import admin_token, api
from test_tracking import FORM_PAGE, FORM_SCRIPT, QuietHandler, visitor_browser

LP_VARIANT = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>{title}</title>
<script src="{hub}/t.js?v={version}" data-org="{org}" data-lp="{lp}" async></script></head>
<body><h1 id="headline">{title}</h1>
<a id="cta" href="{site}/form.html" data-leadhub-cta>Je simule mes économies</a></body></html>"""


def test_the_entry_link_leads_to_a_variant_and_the_lead_counts_for_it(server):
    token = admin_token(server)
    org = api(server, "GET", "/api/admin/organization", token=token)["tracking_id"]
    account = next(a for a in api(server, "GET", "/api/admin/accounts?per_page=100", token=token)["items"]
                   if a["name"] == "Solaire Éco France")
    site_dir = tempfile.mkdtemp(prefix="leadhub-ab-")
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    form = api(server, "POST", "/api/admin/forms", {"name": "Formulaire de la campagne", "account_id": account["id"],
                                                     "product_type": "PV", "url": site + "/form.html"}, token=token)
    pages = []
    for name, title in (("lp-a.html", "Économisez sur votre facture"), ("lp-b.html", "Produisez votre électricité")):
        pages.append(api(server, "POST", "/api/admin/lps", {"name": title, "account_id": account["id"],
                                                             "form_id": form["id"], "url": f"{site}/{name}"},
                         token=token))
    campaign = api(server, "POST", "/api/admin/campaigns", {
        "name": "Accroche économie ou production", "mode": "lps", "form_id": form["id"], "min_days": 7,
        "variants": [{"lp_id": pages[0]["id"], "weight": 50}, {"lp_id": pages[1]["id"], "weight": 50}],
    }, token=token)
    campaign = api(server, "POST", f"/api/admin/campaigns/{campaign['id']}/start", {}, token=token)
    assert campaign["status"] == "running"
    with urllib.request.urlopen(server + "/t.js") as answer:
        version = answer.headers["ETag"].strip('"')
    common = dict(hub=server, version=version, org=org, form=form["code"], key=form["form_key"], site=site)
    for name, page in (("lp-a.html", pages[0]), ("lp-b.html", pages[1])):
        with open(os.path.join(site_dir, name), "w") as f:
            f.write(LP_VARIANT.format(title=page["name"], lp=page["code"], **common))
    with open(os.path.join(site_dir, "form.html"), "w") as f:
        f.write(FORM_PAGE.format(**common, lp=""))
    with open(os.path.join(site_dir, "form.js"), "w") as f:
        f.write(FORM_SCRIPT)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(QuietHandler, directory=site_dir))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    browser = visitor_browser()
    try:
        browser.get(campaign["entry_url"] + "&utm_source=google&utm_campaign=ab-test")
        WebDriverWait(browser, 10).until(lambda b: b.execute_script("return !!window.LeadHub"))
        landed = urllib.parse.urlparse(browser.current_url)
        shown = 0 if landed.path.endswith("lp-a.html") else 1
        assert landed.path.endswith(("lp-a.html", "lp-b.html")), browser.current_url
        assert browser.find_element(By.ID, "headline").text == pages[shown]["name"]
        query = urllib.parse.parse_qs(landed.query)
        assert query["utm_source"] == ["google"] and query["lp"] == [pages[shown]["code"]]
        # The tracker on the page adopts the visitor LeadHub assigned.
        assert browser.execute_script("return LeadHub.visitor") == query["lh_visitor"][0]

        browser.find_element(By.ID, "cta").click()
        WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "phone")))
        WebDriverWait(browser, 10).until(lambda b: b.execute_script("return !!window.LeadHub"))
        browser.find_element(By.ID, "phone").send_keys("06 71 42 93 58")
        browser.find_element(By.ID, "nom").send_keys("Garnier")
        browser.find_element(By.ID, "code_postal").send_keys("33000")
        browser.find_element(By.ID, "send").click()
        WebDriverWait(browser, 15).until(lambda b: b.find_element(By.TAG_NAME, "body").get_attribute("data-status"))
        assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-status") == "201"
        assert not console_errors(browser)

        figures = api(server, "GET", f"/api/admin/campaigns/{campaign['id']}", token=token)
        counts = [(v["visitors"], v["leads"]) for v in figures["variants"]]
        expected = [(1, 1) if index == shown else (0, 0) for index in range(2)]
        assert counts == expected, counts
        assert figures["verdict"]["state"] == "too_early"

        # The same browser comes back from another ad: the same variant.
        browser.get(campaign["entry_url"] + "&utm_source=facebook")
        WebDriverWait(browser, 10).until(lambda b: b.execute_script("return !!window.LeadHub"))
        assert browser.find_element(By.ID, "headline").text == pages[shown]["name"]

        # The campaign's page in the back office shows it.
        browser.get(server + "/login")
        browser.find_element(By.ID, "email").send_keys("admin@demo.leadhub.fr")
        browser.find_element(By.ID, "password").send_keys("mot-de-passe-demo-42")
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".kpis")))
        browser.get(f"{server}/campaigns/{campaign['id']}")
        cards = browser.find_elements(By.CSS_SELECTOR, ".variant-card")
        assert len(cards) == 2
        assert "Trop tôt pour conclure" in browser.find_element(By.CSS_SELECTOR, ".verdict").text
        assert campaign["entry_url"] in browser.find_element(By.ID, "entry-url").text
        assert not console_errors(browser)
        screenshot(browser, "campaign-page")
    finally:
        browser.quit()
        httpd.shutdown()
        shutil.rmtree(site_dir, ignore_errors=True)
