"""The IoU-threshold explorer in JupyterLab, in a real Chromium driven by Playwright.

A fresh JupyterLab server is started on 127.0.0.1 (a free port, a random token, a
temporary root, config and data directories), notebook 03 is opened in it, all its cells
are run, and the explorer's slider is moved with the keyboard. The test checks that the
slider's readout, the drawn picture and the counts text all change, and saves a
screenshot to ``test-artifacts/``.

Playwright cannot download browsers here: it is pointed at an installed Chromium
(``$CHROMIUM``, else ``chromium`` or ``chromium-browser`` on the PATH). Without one the
test is skipped, saying so.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "03_matching.ipynb"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
# flags for a headless browser on a machine without a display or outside network
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
    "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium found (install it, e.g. apt-get install chromium, "
                                                  "or set $CHROMIUM to its path)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab server over a temporary root holding a copy of the notebook."""
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, root / NOTEBOOK)
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"), MPLBACKEND="module://matplotlib_inline.backend_inline")
    log = open(tmp_path / "jupyterlab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={root}", "--ServerApp.allow_root=True", "--LabApp.news_url=",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                log.close()
                pytest.fail("JupyterLab did not start:\n" + (tmp_path / "jupyterlab.log").read_text()[-3000:])
            time.sleep(0.5)
    yield url, token
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


def open_and_run_all(page, url: str, token: str, notebook: str) -> None:
    """Open ``notebook`` of the server in JupyterLab, wait for its kernel, and run all its cells."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(f"{url}/lab/tree/{notebook}?token={token}")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=90_000)
    select_kernel = page.locator(".jp-Dialog button", has_text="Select")
    try:  # JupyterLab may ask which kernel to start: the notebook's own, Python 3
        select_kernel.wait_for(timeout=10_000)
        select_kernel.click()
    except PlaywrightTimeout:
        pass
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=90_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()


def test_threshold_slider_redraws_in_jupyterlab(jupyterlab):
    sync_api = pytest.importorskip("playwright.sync_api")
    url, token = jupyterlab
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            open_and_run_all(page, url, token, NOTEBOOK)
            slider = page.locator(".widget-hslider", has_text="IoU threshold").first
            slider.wait_for(timeout=120_000)
            explorer = slider.locator("xpath=ancestor::div[contains(@class, 'widget-vbox')][1]")
            picture = explorer.locator(".widget-image").first
            counts = explorer.locator(".widget-html").first
            readout = slider.locator(".widget-readout")
            picture.wait_for(timeout=60_000)
            slider.scroll_into_view_if_needed()
            before = (readout.inner_text(), picture.get_attribute("src"), counts.inner_text())

            slider.locator(".noUi-handle").focus()
            for _ in range(4):  # 4 steps of 0.05 down: a lower threshold adds positives
                page.keyboard.press("ArrowLeft")
            page.wait_for_function(
                "([el, old]) => el.innerText !== old", arg=[counts.element_handle(), before[2]], timeout=60_000
            )
            page.wait_for_timeout(500)
            after = (readout.inner_text(), picture.get_attribute("src"), counts.inner_text())
            no_news = page.locator(".jp-toast-button", has_text="No")  # JupyterLab's news prompt
            if no_news.count():
                no_news.first.click()
            explorer.screenshot(path=str(ARTIFACTS / "jupyterlab_threshold_explorer.png"))
            page.screenshot(path=str(ARTIFACTS / "jupyterlab_notebook_03.png"))
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "jupyterlab_failure.png"))
            raise
        finally:
            browser.close()

    assert before[0] != after[0], "the slider's readout did not change"
    assert before[1] != after[1], "the picture was not redrawn"
    assert before[2] != after[2], "the counts text did not change"
    positives = [int(line.split()[1].rstrip(",")) for line in (before[2], after[2]) for line in line.splitlines()
                 if line.startswith("positives:")]
    assert len(positives) == 2 and positives[1] > positives[0], f"expected more positives at a lower threshold: {positives}"
