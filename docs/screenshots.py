"""Regenerate the screenshots in docs/img/ with headless Chromium (Debian's chromium).

    python docs/screenshots.py REPORT_DIR     # REPORT_DIR holds report.html

Takes ``docs/img/report.png`` (the top of the report page) and
``docs/img/dashboard.png`` (``sendabm dashboard`` after six monthly steps).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

IMG = Path(__file__).resolve().parent / "img"


def browser(width: int, height: int) -> webdriver.Chrome:
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", "--hide-scrollbars"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def report_shot(report_dir: Path) -> None:
    driver = browser(1280, 1900)
    try:
        driver.get((report_dir / "report.html").resolve().as_uri())
        time.sleep(1.0)
        driver.save_screenshot(str(IMG / "report.png"))
    finally:
        driver.quit()


def dashboard_shot(steps: int = 6) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "sendabm.cli", "dashboard", "--port",
                               str(port)], start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    driver = browser(1500, 1000)
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"http://localhost:{port}/", timeout=5)
                break
            except OSError:
                time.sleep(0.5)
        driver.get(f"http://localhost:{port}/")
        wait = WebDriverWait(driver, 120)
        for month in range(1, steps + 1):
            step = wait.until(lambda d: next((b for b in d.find_elements(By.TAG_NAME, "button")
                                             if b.text.strip().upper() == "STEP"), None))
            step.click()
            wait.until(lambda d, m=month: any(f"step {m} ·" in e.text for e in
                                              d.find_elements(By.CSS_SELECTOR,
                                                              ".sendabm-latest")))
        time.sleep(1.5)
        driver.save_screenshot(str(IMG / "dashboard.png"))
    finally:
        driver.quit()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    report_shot(Path(sys.argv[1]))
    dashboard_shot()
