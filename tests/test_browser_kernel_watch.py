"""An explorer tells the learner when its kernel no longer answers: real JupyterLab, real Chromium.

The JupyterLab server of ``tests/test_browser.py`` serves a small notebook written here: a
negative-ratio explorer, then a cell that keeps the kernel busy until it is interrupted.
With the kernel busy, a slider move gets no answer and the explorer's watch line says so;
once the kernel is interrupted it catches up, redraws the picture, and the line goes away.
After a kernel restart (menu Kernel, Restart Kernel) a slider move leaves the picture as it
was, and the line says that the kernel was restarted and how to recover. Screenshots go to
``test-artifacts/``.
"""

from __future__ import annotations

import nbformat
import pytest

from tests.test_browser import (  # noqa: F401 -- the fixture and the marks are used by name
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    jupyterlab,
    open_and_run_all,
    pytestmark,
)

NOTEBOOK = "kernel_watch.ipynb"
BUSY_SECONDS = 600  # the test interrupts the kernel long before


def write_notebook(path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}}
    nb.cells = [
        nbformat.v4.new_code_cell('from ssd_course import widgets\n\n'
                                  'explorer = widgets.negative_ratio_explorer("coffee", neg_pos_ratio=3.0)\nexplorer'),
        nbformat.v4.new_code_cell(f"import time\n\ntime.sleep({BUSY_SECONDS})  # the kernel is busy"),
    ]
    nbformat.write(nb, path)


def test_explorer_says_when_its_kernel_is_busy_or_was_restarted(jupyterlab, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    url, token = jupyterlab
    write_notebook(tmp_path / "root" / NOTEBOOK)  # the fixture serves tmp_path / "root"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        try:
            open_and_run_all(page, url, token, NOTEBOOK)

            slider = page.locator(".widget-hslider", has_text="neg:pos ratio").first
            slider.wait_for(timeout=120_000)
            explorer = slider.locator("xpath=ancestor::div[contains(@class, 'widget-vbox')][1]")
            picture = explorer.locator(".widget-image").first
            watch = explorer.locator(".ssd-kernel-watch")
            picture.wait_for(timeout=60_000)
            watch.wait_for(state="attached", timeout=30_000)
            assert not watch.is_visible(), "the watch line shows although nothing happened yet"

            # 1. the second cell keeps the kernel busy: a slider move waits, and the line says why
            page.locator(".jp-Notebook-ExecutionIndicator[data-status='busy']").wait_for(timeout=60_000)
            first_picture = picture.get_attribute("src")
            slider.locator(".noUi-handle").focus()
            page.keyboard.press("ArrowRight")
            watch.wait_for(state="visible", timeout=30_000)
            busy_text = watch.inner_text()
            explorer.screenshot(path=str(ARTIFACTS / "jupyterlab_kernel_busy.png"))
            # interrupted, the kernel catches up: the picture is redrawn and the line goes away by itself
            page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Interrupt Kernel").first.click()
            watch.wait_for(state="hidden", timeout=60_000)
            page.wait_for_function("([el, old]) => el.src !== old",
                                   arg=[picture.element_handle(), first_picture], timeout=60_000)
            page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=60_000)

            # 2. restart the kernel, then move the slider: the picture stays, the line explains
            page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Restart Kernel…").first.click()
            page.locator(".jp-Dialog-button.jp-mod-accept", has_text="Restart").click()
            page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=90_000)
            before_restart_move = picture.get_attribute("src")
            slider.locator(".noUi-handle").focus()
            page.keyboard.press("ArrowRight")
            watch.wait_for(state="visible", timeout=15_000)
            page.wait_for_timeout(2_000)  # time enough for a live kernel to redraw
            restarted_text = watch.inner_text()
            after_restart_move = picture.get_attribute("src")
            explorer.screenshot(path=str(ARTIFACTS / "jupyterlab_kernel_restarted.png"))
            page.screenshot(path=str(ARTIFACTS / "jupyterlab_kernel_restarted_page.png"))
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "jupyterlab_kernel_watch_failure.png"))
            raise
        finally:
            browser.close()

    assert "No answer from the kernel" in busy_text and "wait for it" in busy_text, busy_text
    assert after_restart_move == before_restart_move, "a restarted kernel cannot redraw the picture"
    assert "kernel was restarted" in restarted_text and "from the top" in restarted_text, restarted_text
