"""The IoU-threshold explorer in JupyterLab, in a real Chromium driven by Playwright.

A fresh JupyterLab server is started on 127.0.0.1 (a free port, a random token, a
temporary root, config and data directories), notebook 03 is opened in it, all its cells
are run, and the explorer's slider is moved with the keyboard. The test checks that the
slider's readout, the drawn picture and the counts text all change, and saves a
screenshot to ``test-artifacts/``.

It waits on states, never on time: the same explorer is built here, in the test process,
at the slider's first and last values, and the test waits until the page shows exactly its
counts text (the kernel and the browser render asynchronously: an explorer's picture and
text can arrive after its slider, and every key press makes one redraw of its own).

Playwright cannot download browsers here: it is pointed at an installed Chromium
(``$CHROMIUM``, else ``chromium`` or ``chromium-browser`` on the PATH). Without one the
test is skipped, saying so.
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.jupyter_helpers import free_port, stop

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "03_matching.ipynb"
EXPLORER_CALL = 'widgets.iou_threshold_explorer("coffee", threshold=0.5)'  # as notebook 03 makes it
START, STEPS_DOWN, STEP = 0.5, 4, 0.05
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
    # wait until the server answers or exits; the bound only stops a server that hangs (a busy
    # machine can take minutes to start one)
    deadline = time.monotonic() + 600
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
    stop(server)
    log.close()


def open_and_run_all(page, url: str, token: str, notebook: str) -> None:
    """Open ``notebook`` of the server in JupyterLab, wait for its kernel, and run all its cells."""
    page.goto(f"{url}/lab/tree/{notebook}?token={token}")
    # the status bar says "<kernel name> | Idle" once a kernel is connected and idle (the
    # notebook's execution indicator reads "idle" earlier, while there is "No Kernel")
    kernel_idle = page.locator(".jp-StatusBar-Widget").get_by_text(re.compile(r"^(?!No Kernel).+ \| Idle$"))
    select_kernel = page.locator(".jp-Dialog button", has_text="Select")
    # JupyterLab may first ask which kernel to start (the notebook's own, Python 3)
    kernel_idle.or_(select_kernel).first.wait_for(timeout=120_000)
    if select_kernel.count():
        select_kernel.first.click()
    kernel_idle.wait_for(timeout=120_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()


def expected_counts(threshold: float) -> str:
    """The counts text of notebook 03's explorer at ``threshold``, from the same explorer built here."""
    from ssd_course import widgets

    explorer = widgets.iou_threshold_explorer("coffee", threshold=threshold)
    return html.unescape(re.sub(r"<[^>]*>", "", explorer.readout.value)).strip()


def test_notebook_makes_the_explorer_this_test_mirrors() -> None:
    cells = json.loads((ROOT / "notebooks" / NOTEBOOK).read_text(encoding="utf-8"))["cells"]
    assert any(EXPLORER_CALL in "".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")


def test_threshold_slider_redraws_in_jupyterlab(jupyterlab):
    sync_api = pytest.importorskip("playwright.sync_api")
    pytest.importorskip("ipywidgets")
    expect = sync_api.expect
    end = round(START - STEPS_DOWN * STEP, 2)
    counts_before, counts_after = expected_counts(START), expected_counts(end)
    url, token = jupyterlab
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            open_and_run_all(page, url, token, NOTEBOOK)
            slider = page.locator(".widget-hslider", has_text="IoU threshold").first
            explorer = slider.locator("xpath=ancestor::div[contains(@class, 'widget-vbox')][1]")
            picture = explorer.locator(".widget-image").first
            counts = explorer.locator(".widget-html").first
            readout = slider.locator(".widget-readout")
            # the explorer is ready when its picture and its counts text have arrived
            expect(counts).to_have_text(counts_before, timeout=180_000)
            expect(picture).to_have_attribute("src", re.compile(r".+"), timeout=60_000)
            expect(readout).to_have_text(f"{START:.2f}")
            slider.scroll_into_view_if_needed()
            # text_content, not inner_text: the latter is empty for what the windowed notebook
            # has not laid out (e.g. a readout below the fold)
            before = (readout.text_content(), picture.get_attribute("src"), counts.text_content().strip())

            slider.locator(".noUi-handle").focus()
            for _ in range(STEPS_DOWN):  # 0.05 down each: a lower threshold adds positives
                page.keyboard.press("ArrowLeft")
            expect(readout).to_have_text(f"{end:.2f}", timeout=60_000)
            # the kernel has redrawn for the last value: its counts text, and a new picture
            expect(counts).to_have_text(counts_after, timeout=120_000)
            expect(picture).not_to_have_attribute("src", before[1], timeout=60_000)
            after = (readout.text_content(), picture.get_attribute("src"), counts.text_content().strip())
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
    positives = [int(line.split()[1].rstrip(",")) for text in (before[2], after[2]) for line in text.splitlines()
                 if line.startswith("positives:")]
    assert len(positives) == 2 and positives[1] > positives[0], \
        f"expected more positives at a lower threshold: {positives} in {before[2]!r} and {after[2]!r}"
