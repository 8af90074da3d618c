"""The whole path a visitor takes: a landing page and a form served on loopback (another origin
than LeadHub) with the tracker, a CTA click, a form filled and submitted; then the visit, click,
start, lead and attribution found in the funnel API and on the dashboard."""
import functools
import http.server
import os
import shutil
import tempfile
import threading
import time
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import console_errors, free_port, screenshot
from test_leads import admin_token, api

# A real visitor's browser: headless Chromium says "HeadlessChrome", which the robot filter drops.
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"

LP_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Panneaux solaires</title>
<script src="{hub}/t.js?v={version}" data-org="{org}" data-lp="{lp}" async></script></head>
<body><h1>Vos panneaux solaires</h1>
<a id="cta" href="{site}/form.html" data-leadhub-cta>Je simule mes économies</a></body></html>"""

FORM_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Formulaire</title>
<script src="{hub}/t.js?v={version}" data-org="{org}" data-form="{form}" data-form-key="{key}"></script></head>
<body><h1>Votre projet</h1>
<form id="lead"><input id="phone" name="phone"><input id="nom" name="nom"><input id="code_postal" name="code_postal">
<button id="send" type="submit">Envoyer</button></form>
<script src="{site}/form.js"></script></body></html>"""

FORM_SCRIPT = """document.getElementById("lead").addEventListener("submit", function (event) {
  event.preventDefault();
  LeadHub.submit({phone: document.getElementById("phone").value, nom: document.getElementById("nom").value,
                  code_postal: document.getElementById("code_postal").value, statut_occupant: "proprietaire",
                  type_logement: "maison", consent: {phone: true, email: false}})
    .then(function (answer) { document.body.setAttribute("data-status", String(answer.status));
                              document.body.setAttribute("data-lead", answer.body.id || ""); });
});"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def visitor_browser(window_size="1280,900", user_agent=USER_AGENT):
    """A second, separate browser: a visitor with their own cookies (desktop unless told)."""
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=" + window_size,
                "--lang=fr-FR", "--user-agent=" + user_agent):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium:
        options.binary_location = chromium
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(30)
    return driver


def test_a_visitor_goes_from_the_landing_page_to_a_lead_and_the_dashboard_counts_every_step(server):
    token = admin_token(server)
    org = api(server, "GET", "/api/admin/organization", token=token)["tracking_id"]
    account = next(a for a in api(server, "GET", "/api/admin/accounts?per_page=100", token=token)["items"]
                   if a["name"] == "Solaire Éco France")
    site_dir = tempfile.mkdtemp(prefix="leadhub-site-")
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    form = api(server, "POST", "/api/admin/forms", {"name": "Formulaire du parcours", "account_id": account["id"],
                                                     "product_type": "PV", "url": site + "/form.html"}, token=token)
    lp = api(server, "POST", "/api/admin/lps", {"name": "LP du parcours", "account_id": account["id"],
                                                 "form_id": form["id"], "url": site + "/lp.html"}, token=token)
    with urllib.request.urlopen(server + "/t.js") as answer:
        version = answer.headers["ETag"].strip('"')  # the script's version, as the brief gives it
    values = dict(hub=server, version=version, org=org, lp=lp["code"], form=form["code"], key=form["form_key"], site=site)
    for name, text in (("lp.html", LP_PAGE), ("form.html", FORM_PAGE), ("form.js", FORM_SCRIPT)):
        with open(os.path.join(site_dir, name), "w") as f:
            f.write(text.format(**values) if name != "form.js" else text)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(QuietHandler, directory=site_dir))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    browser = visitor_browser()
    try:
        browser.get(site + "/lp.html?utm_source=google&utm_campaign=parcours&gclid=abc123")
        WebDriverWait(browser, 10).until(lambda b: b.execute_script("return !!window.LeadHub"))
        session = browser.execute_script("return LeadHub.session")
        time.sleep(0.6)  # the visit leaves with the next beacon (300 ms)
        browser.find_element(By.ID, "cta").click()
        WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "phone")))
        carried = urllib.parse.parse_qs(urllib.parse.urlparse(browser.current_url).query)
        assert carried["lh_session"] == [session]
        assert carried["lp"] == [lp["code"]]
        assert carried["utm_source"] == ["google"] and carried["gclid"] == ["abc123"]
        WebDriverWait(browser, 10).until(lambda b: b.execute_script("return !!window.LeadHub"))
        browser.find_element(By.ID, "phone").send_keys("06 12 34 00 99")
        browser.find_element(By.ID, "nom").send_keys("Parcours")
        browser.find_element(By.ID, "code_postal").send_keys("75011")
        browser.find_element(By.ID, "send").click()
        WebDriverWait(browser, 15).until(lambda b: b.find_element(By.TAG_NAME, "body").get_attribute("data-status"))
        assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-status") == "201"
        lead_id = browser.find_element(By.TAG_NAME, "body").get_attribute("data-lead")
        assert not console_errors(browser)
        screenshot(browser, "tracked-form")

        # The funnel of this landing page: one of each step (events are written within 200 ms).
        deadline = time.time() + 15
        while True:
            funnel = api(server, "GET", f"/api/admin/stats/funnel?period=today&lp_code={lp['code']}", token=token)
            if (funnel["visits"], funnel["cta_clicks"], funnel["form_starts"], funnel["leads"]) == (1, 1, 1, 1) \
                    or time.time() > deadline:
                break
            time.sleep(0.3)
        assert (funnel["visits"], funnel["cta_clicks"], funnel["form_starts"], funnel["leads"]) == (1, 1, 1, 1), funnel
        by_form = api(server, "GET", f"/api/admin/stats/funnel?period=today&form_code={form['code']}", token=token)
        assert by_form["form_starts"] == 1 and by_form["leads"] == 1

        lead = api(server, "GET", f"/api/admin/leads/{lead_id}", token=token)
        assert lead["attribution"]["lp_code"] == lp["code"]
        assert lead["attribution"]["session_id"] == session
        assert lead["attribution"]["utm_source"] == "google"
        assert lead["attribution"]["gclid"] == "abc123"

        # The dashboard lists the landing page with its visit and its lead.
        browser.get(server + "/login")
        browser.find_element(By.ID, "email").send_keys("admin@demo.leadhub.fr")
        browser.find_element(By.ID, "password").send_keys("mot-de-passe-demo-42")
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".kpis")))
        browser.get(server + "/?period=today")
        row = browser.find_element(By.XPATH, f"//section[@id='by-lp']//tr[td[contains(., '{lp['code']}')]]")
        cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
        assert cells[1:5] == ["1", "1", "1", "1"], cells
        assert browser.find_element(By.CSS_SELECTOR, "svg.chart[role=img]")
        assert not console_errors(browser)
        screenshot(browser, "dashboard-today")
    finally:
        browser.quit()
        httpd.shutdown()
        shutil.rmtree(site_dir, ignore_errors=True)
