"""Browser tests: a real LeadHub binary on loopback, a real headless Chromium driven by Selenium.

The server is the debug build in .build/debug (CI builds it once for every pass); set
LEADHUB_BIN to use another binary. Each test session gets a fresh data directory with the demo
organization in it.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("LEADHUB_BIN", os.path.join(ROOT, ".build", "debug", "leadhub"))
DEMO_PASSWORD = "mot-de-passe-demo-42"
# The running server's data directory (tests that run a `leadhub` command against its database).
SERVER_DATA = None
ARTIFACTS = os.environ.get("LEADHUB_BROWSER_ARTIFACTS", os.path.join(tempfile.gettempdir(), "leadhub-browser"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server():
    global SERVER_DATA
    data = tempfile.mkdtemp(prefix="leadhub-browser-")
    SERVER_DATA = data
    port = free_port()
    env = dict(os.environ, LEADHUB_DATA_DIR=data, LEADHUB_DEMO_PASSWORD=DEMO_PASSWORD, LEADHUB_BCRYPT_COST="8",
               LEADHUB_DEMO_PARTNERS="1", LEADHUB_DELIVERY_RETRY_SCHEDULE="1,1,1",
               # The instance's operator (backups hold every organization: nobody by default).
               LEADHUB_OPERATOR_EMAILS="admin@demo.leadhub.fr")
    env.pop("DATABASE_URL", None)
    subprocess.run([BINARY, "demo"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    log = open(os.path.join(data, "server.log"), "w")
    process = subprocess.Popen(
        [BINARY, "serve", "--hostname", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/ready", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        if time.time() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("LeadHub did not start: " + open(os.path.join(data, "server.log")).read()[-3000:])
        time.sleep(0.2)
    yield base
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()
    with open(os.path.join(data, "server.log")) as f:
        server_log = f.read()
    shutil.rmtree(data, ignore_errors=True)
    assert "[ ERROR ]" not in server_log and "[ CRITICAL ]" not in server_log, server_log[-3000:]


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=fr-FR"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium:
        options.binary_location = chromium
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def console_errors(driver):
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def screenshot(driver, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    driver.save_screenshot(os.path.join(ARTIFACTS, name + ".png"))
