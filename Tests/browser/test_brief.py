"""The developer brief as a developer uses it: open it from a landing page, switch to the
integrated mode, copy a tag, and watch "Vérifier l'intégration" refresh by itself."""
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import console_errors, screenshot
from test_backoffice import login


def test_the_brief_opens_from_a_landing_page_switches_mode_and_refreshes_its_check(browser, server):
    login(browser, server)
    browser.get(server + "/landing-pages")
    first = browser.find_element(By.CSS_SELECTOR, "a.page-card[href^='/landing-pages/']").get_attribute("href")
    browser.get(first)
    browser.find_element(By.LINK_TEXT, "Ouvrir le brief").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "verifier")))
    assert "Brief d'intégration" in browser.find_element(By.TAG_NAME, "h1").text
    screenshot(browser, "brief")
    lp_tag = browser.find_element(By.ID, "tag-script-lp").text
    assert 'data-lp="LP-' in lp_tag and "/t.js?v=" in lp_tag and "data-form-key" not in lp_tag

    # Integrated mode: one tag with both codes.
    browser.find_element(By.CSS_SELECTOR, "input[name=mode][value=integrated]").click()
    browser.find_element(By.XPATH, "//button[normalize-space()='Générer']").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "tag-script")))
    tag = browser.find_element(By.ID, "tag-script").text
    assert 'data-lp="LP-' in tag and 'data-form="' in tag and 'data-form-key="lhf_' in tag

    # Copy: the button says it copied (clipboard, or selection on plain http).
    button = browser.find_element(By.CSS_SELECTOR, "button[data-copy='#tag-script']")
    button.click()
    WebDriverWait(browser, 5).until(lambda d: "Copié" in button.text)

    # The demo's LP receives traffic: the check lists events and leads, and refreshes itself.
    check = browser.find_element(By.ID, "verifier")
    assert check.find_elements(By.CSS_SELECTOR, "[data-check-events] tr"), "no event listed"
    WebDriverWait(browser, 20).until(
        lambda d: "dernière vérification" in d.find_element(By.CSS_SELECTOR, "[data-check-time]").text)
    assert not console_errors(browser), console_errors(browser)
