"""A hosted form, built by nobody: the team publishes the PV template from the builder, a visitor
completes it on a phone (390 px), another is told they are not eligible, a page embeds it in an
iframe and hears its events. Every screen passes an automated accessibility audit (WCAG 2.1 AA
checks that can be automated: language, labels, radio groups, names, contrast, focus)."""
import functools
import http.server
import os
import re
import shutil
import tempfile
import threading
import time

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import console_errors as all_console_errors, free_port, screenshot
from test_backoffice import login
from test_leads import admin_token, api
from test_tracking import QuietHandler, visitor_browser

PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0 Mobile Safari/537.36")

AUDIT = r"""
return (function () {
  var problems = [];
  if (!document.documentElement.lang) problems.push("no lang");
  if (!document.title.trim()) problems.push("no title");
  if (document.querySelectorAll("h1").length !== 1) problems.push("h1 count");
  document.querySelectorAll("input, select, textarea").forEach(function (el) {
    if (el.type === "hidden" || el.closest(".hf-hp")) return;
    var labelled = (el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]')) ||
      el.closest("label") || el.getAttribute("aria-label");
    if (!labelled) problems.push("no label: " + el.name);
    if (el.type === "radio") {
      var group = el.closest("fieldset");
      if (!group || !group.querySelector("legend")) problems.push("radio outside a named group: " + el.name);
    }
  });
  document.querySelectorAll("img").forEach(function (img) { if (!img.hasAttribute("alt")) problems.push("img without alt"); });
  document.querySelectorAll("button, a").forEach(function (b) {
    if (!b.textContent.trim() && !b.getAttribute("aria-label")) problems.push("unnamed " + b.tagName);
  });
  document.querySelectorAll("[aria-describedby]").forEach(function (el) {
    el.getAttribute("aria-describedby").split(" ").forEach(function (id) {
      if (!document.getElementById(id)) problems.push("aria-describedby to nothing: " + id);
    });
  });
  function color(text) {
    var numbers = (text.match(/[\d.]+/g) || []).map(Number);
    if (text.indexOf("color(srgb") === 0) numbers = numbers.map(function (v, i) { return i < 3 ? v * 255 : v; });
    if (numbers.length === 3) numbers.push(1);
    return numbers;
  }
  function luminance(c) {
    var a = c.slice(0, 3).map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * a[0] + 0.7152 * a[1] + 0.0722 * a[2];
  }
  function background(el) {
    for (; el; el = el.parentElement) {
      var c = color(getComputedStyle(el).backgroundColor);
      if (c.length >= 4 && c[3] > 0.5) return c;
    }
    return [255, 255, 255, 1];
  }
  var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    var node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || el.closest(".hf-sr, .hf-hp, script, style, [hidden]")) continue;
    var style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none" || !el.getClientRects().length) continue;
    var fg = luminance(color(style.color)), bg = luminance(background(el));
    var ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    var size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    if (ratio < ((size >= 24 || (size >= 18.66 && bold)) ? 3 : 4.5)) {
      problems.push("contrast " + ratio.toFixed(2) + " : " + node.textContent.trim().slice(0, 40));
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth) problems.push("horizontal scroll");
  return problems;
})();
"""


def phone_browser():
    return visitor_browser(window_size="390,844", user_agent=PHONE_UA)


def console_errors(browser):
    """Console errors, but the account's GTM container: this sandbox cannot reach Google."""
    return [e for e in all_console_errors(browser) if "googletagmanager.com" not in e["message"]]


def audit(browser, where):
    problems = browser.execute_script(AUDIT)
    assert not problems, f"{where}: {problems}"


def keyboard_focus_is_visible(browser, expected_type):
    """Tabs to the first control of the screen and checks that its focus ring shows."""
    for _ in range(6):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        if browser.execute_script("return document.activeElement.type") == expected_type:
            break
    outline = browser.execute_script(
        "var el = document.activeElement, ring = el.closest('.hf-card, .hf-pill') || el;"
        "var s = getComputedStyle(ring); return [el.type, s.outlineStyle, s.outlineWidth];")
    assert outline[0] == expected_type and outline[1] != "none" and outline[2] != "0px", outline


def text_of(browser, element_id):
    """An element's text read in the page (the script may replace it between find and read)."""
    return browser.execute_script(
        "var e = document.getElementById(arguments[0]); return e ? e.textContent.trim() : ''", element_id) or ""


def title_is(browser, text):
    # Read through the page (the script swaps the screen: a found element may be replaced at once).
    WebDriverWait(browser, 10).until(lambda b: text_of(b, "hf-title").startswith(text))
    # The new screen's title has the focus (announced by screen readers).
    assert browser.execute_script("return document.activeElement && document.activeElement.id") == "hf-title"


def pick(browser, label):
    browser.find_element(By.XPATH, f"//label[contains(@class,'hf-card')][normalize-space(.)='{label}']").click()


def publish_pv_template(browser, server):
    """The back office: a new PV form, the partners' list, the PV template, published."""
    login(browser, server)
    browser.get(server + "/consent-partners")
    partners = browser.find_element(By.ID, "partners")
    partners.clear()
    partners.send_keys("Solaire Éco France\nEnR Conseil Rhône")
    browser.find_element(By.CSS_SELECTOR, "form.form button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash.success")))

    browser.get(server + "/forms/new")
    browser.find_element(By.ID, "name").send_keys("Étude solaire hébergée")
    Select(browser.find_element(By.ID, "account_id")).select_by_visible_text("Solaire Éco France")
    Select(browser.find_element(By.ID, "product_type")).select_by_value("PV")
    browser.find_element(By.CSS_SELECTOR, "form.form button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash.success")))
    form_id = re.search(r"/forms/([0-9A-Fa-f-]{36})", browser.current_url).group(1)
    browser.find_element(By.LINK_TEXT, "Créer le formulaire hébergé").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#builder .builder-step")))
    Select(browser.find_element(By.ID, "template")).select_by_value("pv")
    browser.find_element(By.CSS_SELECTOR, "button[value=template]").click()
    WebDriverWait(browser, 5).until(EC.alert_is_present())
    browser.switch_to.alert.accept()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash.success")))
    # The visual editor shows the template's eleven screens.
    assert len(browser.find_elements(By.CSS_SELECTOR, "#builder .builder-step")) == 11
    # The preview shows the first screen inside the back office.
    browser.switch_to.frame(browser.find_element(By.ID, "preview"))
    assert browser.find_element(By.ID, "hf-title").text == "Vous habitez…"
    browser.switch_to.default_content()
    screenshot(browser, "hosted-builder")
    browser.find_element(By.CSS_SELECTOR, "button[value=publish]").click()
    flash = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash.success")))
    assert "Version 1 publiée" in flash.text
    url = browser.find_element(By.ID, "hosted-url").text
    assert "/f/PV-" in url and "?org=" in url
    errors = console_errors(browser)
    assert not errors, errors
    return form_id, url


def test_the_pv_template_is_published_then_completed_on_a_phone_with_its_consent_and_events(browser, server):
    form_id, url = publish_pv_template(browser, server)
    token = admin_token(server)
    visitor = phone_browser()
    try:
        visitor.get(url + "&utm_source=google&utm_campaign=printemps&gclid=test-gclid")
        assert visitor.find_element(By.ID, "hf-title").text == "Vous habitez…"
        audit(visitor, "logement")
        keyboard_focus_is_visible(visitor, "radio")
        screenshot(visitor, "hosted-phone-logement")
        pick(visitor, "Une maison")
        title_is(visitor, "Vous êtes")
        audit(visitor, "statut")
        pick(visitor, "Propriétaire")
        title_is(visitor, "Où se situe")
        # A wrong postal code: the error is announced and tied to its input.
        visitor.find_element(By.ID, "f-code_postal").send_keys("6953")
        visitor.find_element(By.CSS_SELECTOR, "button.hf-next").click()
        WebDriverWait(visitor, 10).until(lambda b: "Code postal invalide" in text_of(b, "hf"))
        assert visitor.find_element(By.CSS_SELECTOR, ".hf-alert").text.strip()
        assert visitor.find_element(By.ID, "f-code_postal").get_attribute("aria-invalid") == "true"
        audit(visitor, "code postal en erreur")
        field = visitor.find_element(By.ID, "f-code_postal")
        field.clear()
        field.send_keys("69530")
        # Two communes share 69530: the list appears and is filled as the code is typed.
        communes = WebDriverWait(visitor, 10).until(EC.visibility_of_element_located((By.ID, "f-code_postal.commune")))
        Select(communes).select_by_visible_text("Brignais")
        visitor.find_element(By.CSS_SELECTOR, "button.hf-next").click()
        title_is(visitor, "Quel est le montant")
        audit(visitor, "facture")
        pick(visitor, "150 à 200 € / mois")
        title_is(visitor, "Quelle est l'orientation")
        pick(visitor, "Sud")
        title_is(visitor, "Quand souhaitez-vous")
        pick(visitor, "Dans les 3 mois")
        title_is(visitor, "À qui adresser")
        audit(visitor, "identité")
        visitor.find_element(By.XPATH, "//label[contains(@class,'hf-pill')][normalize-space(.)='Madame']").click()
        visitor.find_element(By.ID, "f-identite.nom").send_keys("Durand")
        visitor.find_element(By.ID, "f-identite.prenom").send_keys("Léa")
        visitor.find_element(By.CSS_SELECTOR, "button.hf-next").click()
        title_is(visitor, "Comment vous joindre")
        audit(visitor, "contact")
        visitor.find_element(By.ID, "f-telephone").send_keys("06 48 27 91 35")
        visitor.find_element(By.ID, "f-email").send_keys("lea.durand@example.fr")
        visitor.find_element(By.CSS_SELECTOR, "button.hf-next").click()
        title_is(visitor, "Votre accord")
        audit(visitor, "consentement")
        phone_box = visitor.find_element(By.ID, "f-consentement.phone")
        email_box = visitor.find_element(By.ID, "f-consentement.email")
        assert not phone_box.is_selected() and not email_box.is_selected()
        keyboard_focus_is_visible(visitor, "checkbox")
        assert "Solaire Éco France, EnR Conseil Rhône" in visitor.find_element(By.CSS_SELECTOR, ".hf-partners").text
        screenshot(visitor, "hosted-phone-consent")
        visitor.find_element(By.CSS_SELECTOR, "label[for='f-consentement.phone']").click()
        visitor.find_element(By.CSS_SELECTOR, "button.hf-next").click()
        title_is(visitor, "Merci, votre demande est bien envoyée")
        assert visitor.find_element(By.ID, "hf").get_attribute("data-state") == "completed"
        audit(visitor, "merci")
        screenshot(visitor, "hosted-phone-merci")
        errors = console_errors(visitor)
        assert not errors, errors
    finally:
        visitor.quit()

    leads = api(server, "GET", f"/api/admin/leads?form_id={form_id}", token=token)["items"]
    assert len(leads) == 1, leads
    lead = leads[0]
    assert lead["nom"] == "Durand" and lead["prenom"] == "Léa" and lead["ville"] == "Brignais"
    assert lead["statut_occupant"] == "proprietaire" and lead["type_logement"] == "maison"
    assert lead["consent"]["phone"] is True and lead["consent"]["email"] is False
    assert "EnR Conseil Rhône" in lead["consent"]["text"] and lead["consent"]["text_hash"]
    assert lead["consent"]["partners_version"]
    assert "/f/PV-" in lead["consent"]["url"]
    assert lead["attribution"]["utm_source"] == "google" and lead["attribution"]["gclid"] == "test-gclid"
    assert lead["attribution"].get("session_id") and lead["attribution"].get("visitor_id")
    assert lead["extra"]["form_version"] == "1"
    assert lead["routing"], lead

    # The events the page sent itself: a visit, the start, and a step per screen with its id.
    deadline = time.time() + 10
    while True:
        check = api(server, "GET", f"/api/admin/forms/{form_id}/integration-check", token=token)
        types = [event["type"] for event in check["events"]]
        if types.count("form_step") >= 8 or time.time() > deadline:
            break
        time.sleep(0.3)
    assert "lp_visit" in types and "form_start" in types, types
    steps = {event["step_id"]: event["step"] for event in check["events"] if event["type"] == "form_step"}
    assert steps.get("statut") == 2 and steps.get("consentement") == 9, steps

    # The form's page shows the drop-off.
    browser.get(f"{server}/forms/{form_id}")
    assert "Abandons par étape" in browser.page_source


def test_a_tenant_is_told_they_are_not_eligible_and_never_asked_for_contact_details(browser, server):
    _, url = publish_pv_template(browser, server)
    visitor = phone_browser()
    try:
        visitor.get(url)
        pick(visitor, "Une maison")
        title_is(visitor, "Vous êtes")
        pick(visitor, "Locataire")
        title_is(visitor, "Votre projet n'est pas éligible")
        assert visitor.find_element(By.ID, "hf").get_attribute("data-state") == "disqualified"
        assert not visitor.find_elements(By.CSS_SELECTOR, "input[type=tel], input[type=email]")
        audit(visitor, "non éligible")
        # Coming back to the address does not reopen the form.
        visitor.refresh()
        assert "pas éligible" in visitor.find_element(By.ID, "hf-title").text
    finally:
        visitor.quit()


EMBED_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>Page partenaire</title></head><body><h1>Notre offre solaire</h1>
<iframe id="leadhub-form" src="{url}" title="Formulaire" style="width:100%;height:700px;border:0"></iframe>
<script>window.events = []; window.addEventListener("message", function (e) {{
  if (e.data && e.data.source === "leadhub") window.events.push(e.data); }});</script></body></html>"""


def test_an_embedded_form_tells_its_page_what_happens(browser, server):
    _, url = publish_pv_template(browser, server)
    site_dir = tempfile.mkdtemp(prefix="leadhub-embed-")
    port = free_port()
    with open(os.path.join(site_dir, "page.html"), "w") as f:
        f.write(EMBED_PAGE.format(url=url))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(QuietHandler, directory=site_dir))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        browser.get(f"http://127.0.0.1:{port}/page.html")

        def events():
            return browser.execute_script("return window.events")

        WebDriverWait(browser, 10).until(lambda b: any(e["type"] == "loaded" for e in events()))
        browser.switch_to.frame(browser.find_element(By.ID, "leadhub-form"))
        pick(browser, "Une maison")
        WebDriverWait(browser, 10).until(lambda b: text_of(b, "hf-title").startswith("Vous êtes"))
        browser.switch_to.default_content()
        WebDriverWait(browser, 10).until(
            lambda b: any(e["type"] == "step" and e["step"] == "statut" and e["position"] == 2 for e in events()))
        # The ResizeObserver reports the content's height (the parent sizes the iframe with it).
        assert any(e["type"] == "resize" and e["height"] > 0 for e in events()), events()
        assert all(e["form"].startswith("PV-") for e in events())
    finally:
        httpd.shutdown()
        shutil.rmtree(site_dir, ignore_errors=True)
