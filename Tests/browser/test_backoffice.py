"""The back office as a person uses it: log in through the real page, walk the sidebar, edit objects."""
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import DEMO_PASSWORD, console_errors, screenshot


def login(browser, server, email="admin@demo.leadhub.fr", password=DEMO_PASSWORD):
    browser.get(server + "/login")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, "aside.sidebar")))


def assert_healthy_page(browser, what):
    title = browser.title
    assert "Erreur" not in title and "introuvable" not in title.lower(), f"{what}: {title}"
    assert browser.find_element(By.TAG_NAME, "h1").text.strip(), f"{what}: no heading"
    errors = console_errors(browser)
    assert not errors, f"{what}: console errors {errors}"


def test_login_page_rejects_wrong_password_with_a_generic_message(browser, server):
    browser.get(server + "/login")
    browser.find_element(By.ID, "email").send_keys("admin@demo.leadhub.fr")
    browser.find_element(By.ID, "password").send_keys("pas-le-bon")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    alert = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash.error")))
    assert "Identifiants invalides" in alert.text
    assert browser.find_element(By.ID, "email").get_attribute("value") == "admin@demo.leadhub.fr"


def test_every_sidebar_page_opens_without_errors(browser, server):
    login(browser, server)
    screenshot(browser, "dashboard")
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "aside.sidebar nav a")]
    assert len(links) >= 13, links
    for href in links:
        browser.get(href)
        assert_healthy_page(browser, href)
        screenshot(browser, href.rstrip("/").rsplit("/", 1)[-1] or "root")


def test_every_edit_page_of_the_demo_opens(browser, server):
    login(browser, server)
    for section in ("crms", "accounts", "diffusion-sources", "product-types", "users"):
        browser.get(f"{server}/{section}")
        rows = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "tbody td:first-child a")]
        assert rows, section
        for href in rows:
            browser.get(href)
            assert_healthy_page(browser, href)
        browser.get(f"{server}/{section}/new")
        assert_healthy_page(browser, section + "/new")


def test_creating_a_crm_with_a_bad_url_keeps_the_input_then_succeeds(browser, server):
    login(browser, server)
    browser.get(server + "/crms/new")
    browser.find_element(By.ID, "name").send_keys("Partenaire Test")
    url = browser.find_element(By.ID, "api_url")
    browser.execute_script("arguments[0].type = 'text'", url)  # let the server, not the browser, judge the URL
    url.send_keys("pas-une-url")
    browser.find_element(By.CSS_SELECTOR, "form.form button[type=submit]").click()
    error = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".field.invalid .error")))
    assert "Adresse invalide" in error.text
    assert browser.find_element(By.ID, "name").get_attribute("value") == "Partenaire Test"
    screenshot(browser, "crm-form-errors")
    browser.get_log("browser")  # drain: the 422 of the rejected form is expected
    url = browser.find_element(By.ID, "api_url")
    url.clear()
    url.send_keys("https://partenaire.example/lead/api/create_lead/")
    browser.find_element(By.CSS_SELECTOR, "form.form button[type=submit]").click()
    flash = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash.success")))
    assert "Partenaire Test" in flash.text
    assert not console_errors(browser)


def test_crm_switcher_narrows_the_accounts_list(browser, server):
    login(browser, server)
    browser.get(server + "/accounts")
    Select(browser.find_element(By.ID, "crm-scope")).select_by_visible_text("Maison du Lead")
    WebDriverWait(browser, 10).until(
        lambda d: Select(d.find_element(By.ID, "crm-scope")).first_selected_option.text == "Maison du Lead")
    browser.get(server + "/accounts")
    names = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "tbody td:first-child a")]
    assert "Isolation Plus" in names and "Solaire Éco France" not in names, names
    Select(browser.find_element(By.ID, "crm-scope")).select_by_visible_text("Tous les CRMs")
    WebDriverWait(browser, 10).until(
        lambda d: Select(d.find_element(By.ID, "crm-scope")).first_selected_option.text == "Tous les CRMs")


def test_viewer_sees_read_only_forms_and_no_users_page(browser, server):
    login(browser, server, email="lecteur@demo.leadhub.fr")
    hrefs = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "aside.sidebar nav a")]
    assert not any(h.endswith("/users") for h in hrefs)
    browser.get(server + "/accounts")
    browser.find_element(By.CSS_SELECTOR, "tbody td:first-child a").click()
    fieldset = browser.find_element(By.CSS_SELECTOR, "fieldset.card")
    assert fieldset.get_attribute("disabled") is not None


def test_logout_returns_to_login(browser, server):
    login(browser, server)
    browser.find_element(By.CSS_SELECTOR, ".user button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "password")))
    browser.get(server + "/crms")
    assert "/login" in browser.current_url


def test_crm_commandes_region_buttons_fill_departements_and_save(browser, server):
    login(browser, server)
    browser.get(server + "/crms")
    browser.find_element(By.CSS_SELECTOR, "tbody td:first-child a").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.LINK_TEXT, "Destination et commandes →"))).click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "departements_PAC")))
    assert_healthy_page(browser, "crm routing")
    area = browser.find_element(By.ID, "departements_PAC")
    browser.find_element(By.CSS_SELECTOR, 'button[data-target="#departements_PAC"][data-departements=""]').click()
    assert area.get_attribute("value") == ""
    buttons = browser.find_elements(By.CSS_SELECTOR, 'button[data-target="#departements_PAC"]')
    next(b for b in buttons if b.text == "Bretagne").click()
    next(b for b in buttons if b.text == "Corse").click()
    assert area.get_attribute("value") == "2A 2B 22 29 35 56"
    box = browser.find_element(By.NAME, "active_PAC")
    if not box.is_selected():
        box.click()
    browser.find_element(By.CSS_SELECTOR, "form.form button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".flash"), "enregistrées"))
    assert browser.find_element(By.ID, "departements_PAC").get_attribute("value") == "2A 2B 22 29 35 56"
    screenshot(browser, "crm-routing")
