"""The dashboard in a real browser: headless Chromium drives ``sendabm dashboard``.

The server runs as a child process on a free localhost port; Selenium drives
Debian's ``chromium`` through its ``chromedriver`` (both installed by ``.ci/run``;
nothing is downloaded at run time). The test steps the model, checks that the
plotted series change, switches a lever (the tribunal removed), resets, steps again
and checks that the series differ from the first run's.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
START_TIMEOUT = 240.0  # seconds: a cold numba cache compiles the kernels first
WAIT = 120.0

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium and chromium-driver (installed by .ci/run)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_http(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"dashboard exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"dashboard did not answer within {START_TIMEOUT:.0f} s")


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory) -> Iterator[str]:
    """Start ``sendabm dashboard`` on a free port; stop it (by its pid) afterwards."""
    port = _free_port()
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "sendabm.cli", "dashboard", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://localhost:{port}/"
        _wait_for_http(url, server, log)
        yield url
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)  # the server's own session only
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=20)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--disable-gpu", "--window-size=1400,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, condition, what: str):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        # Solara re-renders the page as the model steps, so an element found a moment
        # ago may be replaced (stale) by the time it is read: try again.
        from selenium.common.exceptions import StaleElementReferenceException

        return WebDriverWait(driver, WAIT, poll_frequency=0.25,
                             ignored_exceptions=(StaleElementReferenceException,)
                             ).until(condition)
    except TimeoutException:
        pytest.fail(f"timed out waiting for {what}")


def _button(driver, label: str):
    from selenium.webdriver.common.by import By

    return _wait(driver, lambda d: next((b for b in d.find_elements(By.TAG_NAME, "button")
                                         if b.text.strip().upper() == label and b.is_enabled()),
                                        False), f"the {label} button")


def _latest(driver) -> str:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    for _ in range(20):  # the readout may be re-rendered between finding and reading it
        try:
            found = driver.find_elements(By.CSS_SELECTOR, ".sendabm-latest")
            return found[0].text if found else ""
        except StaleElementReferenceException:
            time.sleep(0.25)
    return ""


def _series_image(driver) -> str:
    """The ``src`` of the live series plot (the first plot image on the page)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    for _ in range(20):  # the plot may be re-rendered between finding and reading it
        try:
            images = driver.find_elements(By.TAG_NAME, "img")
            return images[0].get_attribute("src") if images else ""
        except StaleElementReferenceException:
            time.sleep(0.25)
    return ""


def _step(driver, months: int) -> str:
    for month in range(1, months + 1):
        _button(driver, "STEP").click()
        _wait(driver, lambda d, m=month: f"step {m} ·" in _latest(d), f"month {month}")
    return _latest(driver)


def _choose(driver, label: str, option: str) -> None:
    """Pick ``option`` in the Vuetify select whose label is ``label``."""
    from selenium.webdriver.common.by import By

    select = _wait(driver, lambda d: next((e for e in d.find_elements(By.CSS_SELECTOR,
                                                                      ".v-select")
                                           if e.text.startswith(label)), False),
                   f"the {label} menu")
    select.find_element(By.CSS_SELECTOR, ".v-select__slot").click()
    item = _wait(driver, lambda d: next((e for e in d.find_elements(By.CSS_SELECTOR,
                                                                    ".v-list-item")
                                         if e.is_displayed() and e.text.strip() == option),
                                        False), f"option {option}")
    item.click()
    _wait(driver, lambda d: option in select.text, f"{label} = {option}")


def _appeals(text: str) -> int:
    return int(re.search(r"appeals registered: ([\d,]+)", text).group(1).replace(",", ""))


@pytest.mark.slow
def test_a_lever_changes_the_plotted_series(dashboard_url, browser):
    browser.get(dashboard_url)
    _button(browser, "STEP")
    _wait(browser, lambda d: "No months simulated yet" in _latest(d), "the empty model")
    empty_plot = _series_image(browser)

    kept = _step(browser, 4)
    assert "December 2014" in kept
    assert _series_image(browser) != empty_plot  # the plot was redrawn with the new months
    # The readout is one month's count, which a 1% sample can leave at 0 in a given
    # month: step on (at most 8 months) until the first appeals are registered.
    months = 4
    while _appeals(kept) == 0 and months < 8:
        months += 1
        _button(browser, "STEP").click()
        _wait(browser, lambda d, m=months: f"step {m} ·" in _latest(d), f"month {months}")
        kept = _latest(browser)
    assert _appeals(kept) > 0

    _choose(browser, "SEND Tribunal", "remove")
    _button(browser, "RESET").click()
    _wait(browser, lambda d: "No months simulated yet" in _latest(d), "the reset model")
    removed = _step(browser, months)
    assert _appeals(removed) == 0  # no tribunal, no appeals
    assert removed != kept
    assert re.search(r"deficit: \N{MINUS SIGN}?£\d[\d,]*\.\d+(bn|m)$", removed), removed


def test_only_requests_addressed_to_this_machine_are_answered(dashboard_url):
    port = dashboard_url.rsplit(":", 1)[1].strip("/")
    for name, status in (("localhost", 200), ("127.0.0.1", 200), ("rebound.example", 400)):
        request = urllib.request.Request(f"http://127.0.0.1:{port}/",
                                         headers={"Host": f"{name}:{port}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answered = response.status
        except urllib.error.HTTPError as error:
            answered = error.code
        assert answered == status, f"Host {name}: {answered}"


# Importing Mesa's SolaraViz warns about a hook of Mesa's own (not ours).
@pytest.mark.filterwarnings("ignore:.*use_state.*:UserWarning")
def test_the_server_binds_only_what_it_is_told():
    from sendabm.presentation.dashboard import allowed_hosts

    assert allowed_hosts("localhost") == allowed_hosts("127.0.0.1") == ["localhost",
                                                                      "127.0.0.1"]
    assert allowed_hosts("0.0.0.0") == ["*"]
    assert allowed_hosts("lab.example") == ["lab.example", "localhost", "127.0.0.1"]
