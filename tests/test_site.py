"""The course website (``python3 tasks.py site``), built and then read in a real Chromium.

The site is built into ``build/site`` as the README's command builds it, with the proxy
variables pointing nowhere (nothing may download), and served from the repository root on
127.0.0.1, so that its relative links to the notebooks in the repository resolve too. Every
page is opened in Chromium (Playwright, pointed at an installed Chromium as in
``test_browser.py``; those tests are skipped without one) with every request outside
127.0.0.1 refused and counted. Then: no console error, no broken link or picture, the maths typeset, the folded
answers folded, search finds a phrase, and each static explorer, moved with the keyboard,
shows the readout and the picture that ``ssd_course.widgets`` itself gives at that setting.
A second, small site built from made-up notebooks with a Chinese edition checks the
language switch.
"""

from __future__ import annotations

import contextlib
import functools
import html
import http.server
import io
import json
import re
import shutil
import sys
import threading
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import numpy as np
import pytest
import torch

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "tools" / "build_site.py"
SITE = ROOT / "build" / "site"
ARTIFACTS = ROOT / "test-artifacts"
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NOWHERE = "http://127.0.0.1:9"  # a proxy that refuses every connection

# the tests that read the site in Chromium; building it and checking its files needs none
in_chromium = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium found (install it, e.g. apt-get install chromium, "
                                                  "or set $CHROMIUM to its path)"),
]


def browser_test(test):
    for mark in in_chromium:
        test = mark(test)
    return test


def build(root: Path, out: Path, *options: str) -> str:
    """Build a site as ``tools/build_site.py`` does, in this process (torch is loaded already)."""
    sys.path.insert(0, str(BUILD.parent))
    try:
        import build_site
    finally:
        sys.path.remove(str(BUILD.parent))
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(printed):
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            patch.setenv(name, NOWHERE)
        patch.setenv("NO_PROXY", "")
        patch.setenv("no_proxy", "")
        build_site.main(["--root", str(root), "--out", str(out), *options])
    return printed.getvalue()


class Server:
    """A static file server on 127.0.0.1 over ``folder``, in a thread."""

    def __init__(self, folder: Path) -> None:
        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     functools.partial(Quiet, directory=str(folder)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def site():
    """The site as ``python3 tasks.py site`` builds it, served from the repository root."""
    output = build(ROOT, SITE)
    server = Server(ROOT)
    yield server.url + "build/site/", output
    server.close()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    playwright = sync_api.sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()


class Visit:
    """A page opened in Chromium, with what went wrong while it loaded."""

    def __init__(self, browser, url: str, width: int = 1280, settle: bool = True) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.problems: list[str] = []
        self.outside: list[str] = []
        origin = "{0.scheme}://{0.netloc}/".format(urlsplit(url))
        self.page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}")
                     if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed request: {r.url} {r.failure}"))
        self.page.on("response", lambda r: self.problems.append(f"HTTP {r.status}: {r.url}")
                     if r.status >= 400 else None)

        def route(request_route):
            if request_route.request.url.startswith(origin) or request_route.request.url.startswith("data:"):
                request_route.continue_()
            else:
                self.outside.append(request_route.request.url)
                request_route.abort()

        self.page.route("**/*", route)
        self.page.goto(url, wait_until="load")
        if settle:  # what the page's scripts load after it, e.g. an explorer's first picture
            self.page.wait_for_load_state("networkidle")

    def __enter__(self) -> Visit:
        return self

    def __exit__(self, *exc) -> None:
        self.page.close()


class Links(HTMLParser):
    """Every URL a page links to or loads, and every id it defines."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        for name in ("href", "src"):
            if attributes.get(name) and tag in ("a", "link", "script", "img", "source", "iframe", "image"):
                self.urls.append((tag, attributes[name]))


def fetch(url: str, cache: dict[str, tuple[int, bytes]]) -> tuple[int, bytes]:
    if url not in cache:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                cache[url] = (response.status, response.read())
        except urllib.error.HTTPError as error:
            cache[url] = (error.code, b"")
    return cache[url]


def check_links(page_url: str, page_html: str, cache: dict) -> list[str]:
    """The broken links and pictures of a page (local ones; anything else may only be an <a>)."""
    from PIL import Image

    parser = Links()
    parser.feed(page_html)
    broken = []
    local = "{0.scheme}://{0.netloc}/".format(urlsplit(page_url))
    for tag, raw in parser.urls:
        url, fragment = urldefrag(urljoin(page_url, html.unescape(raw)))
        if not url.startswith(local):
            if tag != "a" or urlsplit(url).scheme not in ("http", "https", "mailto"):
                broken.append(f"<{tag}> loads {raw} from outside the site")
            continue
        status, body = fetch(url, cache)
        if status != 200:
            broken.append(f"<{tag}> {raw}: HTTP {status}")
        elif tag in ("img", "image"):
            try:
                Image.open(io.BytesIO(body)).verify()
            except Exception as error:  # noqa: BLE001 - any decoding failure is a broken picture
                broken.append(f"<img> {raw}: not a picture ({error})")
        elif fragment and url.endswith(".html"):
            target = Links()
            target.feed(body.decode("utf-8"))
            if fragment not in target.ids:
                broken.append(f"<a> {raw}: no element with id {fragment!r}")
    return broken


def pages_of(site_url: str, prefix: str = "") -> list[str]:
    return [f"{site_url}{prefix}{name}.html" for name in ["index", *NOTEBOOKS, "glossary", "instructors"]]


# ---------------------------------------------------------------------------------------------


def test_the_site_is_built_offline_and_small(site):
    url, output = site
    translated = sorted(p.stem for p in (ROOT / "notebooks" / "zh").glob("[0-9][0-9]_*.ipynb"))
    assert re.search(r"built \d+ pages \(en, zh\)" if translated else r"built \d+ pages \(en\)", output), output
    for name in ["index", *NOTEBOOKS, "glossary", "instructors"]:
        assert (SITE / f"{name}.html").is_file(), f"{name}.html was not built"
    for name in translated:
        assert (SITE / "zh" / f"{name}.html").is_file(), f"zh/{name}.html was not built"
    size = sum(p.stat().st_size for p in SITE.rglob("*") if p.is_file())
    assert size < 40e6, f"the site is {size / 1e6:.1f} MB, more than 40 MB"
    # the vendored maths renderer and its licence are part of the site
    assert (SITE / "assets" / "katex" / "katex.min.js").is_file()
    assert "MIT" in (ROOT / "tools" / "site" / "vendor" / "katex" / "LICENSE").read_text()
    # every picture and data file of every static explorer, not only those the browser tests show
    explorers = 0
    for page in SITE.glob("*.html"):
        for payload in re.findall(r'<script type="application/json" class="explorer-data">(.*?)</script>',
                                  page.read_text(encoding="utf-8"), re.S):
            data = json.loads(payload)
            explorers += 1
            files = [frame[0] for frame in data["frames"].values()] if data["kind"] == "frames" else \
                [*data["chunks"].values(), data["photo"]]
            missing = [f for f in files if not (SITE / f).is_file()]
            assert not missing, f"{page.name}: {missing[:5]}"
            if data["kind"] == "frames":
                sizes = [len(c["labels"]) for c in data["controls"]]
                assert len(data["frames"]) >= max(sizes), f"{page.name}: too few settings"
    assert explorers >= 3


@browser_test
def test_every_page_loads_cleanly_in_chromium(site, browser):
    site_url, _ = site
    cache: dict[str, tuple[int, bytes]] = {}
    for url in pages_of(site_url):
        with Visit(browser, url) as visit:
            page = visit.page
            assert not visit.outside, f"{url} tried to load from outside: {visit.outside}"
            assert not visit.problems, f"{url}: {visit.problems}"
            broken = check_links(url, page.content(), cache)
            assert not broken, f"{url}: {broken}"
            # maths: every formula typeset by KaTeX, no TeX source left in the text
            maths = page.evaluate("""() => {
                const all = [...document.querySelectorAll('.math')];
                return {count: all.length, typeset: all.filter(m => m.querySelector('.katex')).length,
                        errors: document.querySelectorAll('.math-error, .katex-error').length,
                        text: document.querySelector('.page-body').innerText};
            }""")
            assert maths["typeset"] == maths["count"] and maths["errors"] == 0, f"{url}: {maths}"
            text_outside_code = page.evaluate("""() => {
                const body = document.querySelector('.page-body').cloneNode(true);
                body.querySelectorAll('pre, code, .katex-mathml').forEach(e => e.remove());
                return body.innerText;
            }""")
            assert "$$" not in text_outside_code and "\\frac" not in text_outside_code, f"{url}: raw TeX left"
            # folded answers stay folded
            details = page.evaluate("() => [...document.querySelectorAll('.page-body details')]"
                                    ".map(d => [d.open, d.querySelector('summary').innerText])")
            assert all(not is_open for is_open, _ in details), f"{url}: an answer is open: {details}"
            if url.rsplit("/", 1)[1].removesuffix(".html") in NOTEBOOKS:
                live = page.locator(".run-live")
                assert live.is_visible() and "python3 tasks.py lab" in live.inner_text()
                name = url.rsplit("/", 1)[1].replace(".html", ".ipynb")
                assert f"notebooks/{name}" in live.inner_text()
                assert live.locator("a").get_attribute("href").endswith(f"notebooks/{name}")
                assert page.locator(".prev-next.top a").count() >= 1
    # figures: every committed picture of the notebooks is on the site
    assert sum(1 for u in cache if "/figures/" in u) >= 40


@browser_test
def test_every_page_fits_a_phone_screen(site, browser):
    site_url, _ = site
    for url in pages_of(site_url):
        with Visit(browser, url, 375, settle=False) as visit:
            # nothing wider than the screen but what scrolls on its own (code, tables, wide formulas)
            overflow = visit.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{url} is {overflow} px wider than a 375 px screen"
            assert visit.page.locator(".menu-button").is_visible()
            assert not visit.page.locator(".sidebar").is_visible() or visit.page.evaluate(
                "() => document.querySelector('.sidebar').getBoundingClientRect().right <= 0")
            assert not visit.problems, f"{url}: {visit.problems}"


@browser_test
def test_the_exercises_keep_their_answers_folded(site, browser):
    site_url, _ = site
    with Visit(browser, f"{site_url}03_matching.html") as visit:
        answer = visit.page.locator(".page-body details:not(.solution)", has_text="Answer").first
        body = answer.locator("p").first
        assert not body.is_visible()
        answer.locator("summary").click()
        assert body.is_visible()
        solution = visit.page.locator("details.solution").first
        assert not solution.locator("pre").first.is_visible()


@browser_test
def test_search_finds_hard_negative_mining(site, browser):
    site_url, _ = site
    with Visit(browser, f"{site_url}index.html") as visit:
        page = visit.page
        page.fill("#search", "hard negative mining")
        results = page.locator("#search-results a")
        results.first.wait_for(timeout=10_000)
        hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
        assert any(h.startswith("06_hard_negative_mining.html") for h in hrefs), hrefs
        assert "hard negative mining" in results.first.inner_text().lower()
        page.locator("#search-results a", has_text="06").first.click()
        page.wait_for_url("**/06_hard_negative_mining.html*")
        page.fill("#search", "no such phrase anywhere qqq")
        page.locator("#search-results .empty").wait_for(timeout=10_000)
        assert not visit.problems, visit.problems


# ---------------------------------------------------------------------------------------------
# The static explorers against the live ones


def readout(explorer) -> str:
    match = re.search(r"<pre[^>]*>(.*)</pre>", explorer.readout.value, re.S)
    return html.unescape(match.group(1))


def picture(data: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(float)


def assert_same_picture(shown: np.ndarray, expected: np.ndarray, before: np.ndarray) -> None:
    """Where the live explorer's pictures at the old and new setting differ, the page shows the new one."""
    assert shown.shape == expected.shape
    changed = np.abs(expected - before).max(axis=2) > 60
    assert changed.sum() > 50, "the two settings should give different pictures"
    to_expected = np.abs(shown - expected)[changed].mean()
    to_before = np.abs(shown - before)[changed].mean()
    assert to_expected < 0.75 * to_before, (to_expected, to_before)
    assert np.abs(shown - expected).mean() < 8  # the whole picture, through lossy compression


def set_control(page, figure, live, name: str, value, expected: str) -> None:
    """Set a control to ``value`` on the page (keyboard or click) and in the live explorer.

    ``expected`` names the setting the page must then show (``data-shown``): the index of each
    control's value, in the explorer's order, "*" for a slider a ticked box makes irrelevant.
    The page's readout must then be the live explorer's.
    """
    element = figure.locator(f'[data-control="{name}"]')
    if isinstance(value, bool):
        element.set_checked(value)
    else:
        controls = json.loads(figure.locator("script.explorer-data").text_content())["controls"]
        labels = next(c["labels"] for c in controls if c["name"] == name)
        target, current = labels.index(f"{value:.2f}"), int(element.input_value())
        element.focus()
        for _ in range(abs(target - current)):
            page.keyboard.press("ArrowRight" if target > current else "ArrowLeft")
    wait_for_setting(page, figure, expected)
    live.controls[name].value = value
    assert shown_readout(figure) == readout(live)


def wait_for_setting(page, figure, expected: str) -> None:
    page.wait_for_function("([f, key]) => f.getAttribute('data-shown') === key",
                           arg=[figure.element_handle(), expected], timeout=10_000)


def shown_picture(page, figure) -> np.ndarray:
    src = figure.locator(".explorer-picture").get_attribute("src")
    with urllib.request.urlopen(urljoin(page.url, src), timeout=10) as response:
        return picture(response.read())


@contextlib.contextmanager
def explorer_on(browser, url: str, selector: str, initial: str, live):
    """A page's first explorer, showing its first setting with the readout of ``live`` at its own.

    No console error may happen until the end.
    """
    with Visit(browser, url) as visit:
        figure = visit.page.locator(selector).first
        wait_for_setting(visit.page, figure, initial)
        assert shown_readout(figure) == readout(live)
        yield visit.page, figure
        assert not visit.problems, visit.problems


def shown_readout(figure) -> str:
    return figure.locator(".explorer-readout").inner_text()


@browser_test
def test_threshold_explorer_shows_what_the_package_computes(site, browser):
    from ssd_course import widgets

    live = widgets.iou_threshold_explorer("coffee", threshold=0.5)
    # threshold 0.50 (the 10th value), unique ticked
    with explorer_on(browser, f"{site[0]}03_matching.html", "figure.explorer", "9,1", live) as (page, figure):
        before = picture(live.image.value)
        assert np.abs(shown_picture(page, figure) - before).mean() < 8

        set_control(page, figure, live, "threshold", 0.3, "5,1")
        assert figure.locator("output").first.inner_text() == "0.30"
        assert live.state["positives"] > 17
        assert f"positives: {live.state['positives']}, negatives: {live.state['negatives']}" in readout(live)
        after = picture(live.image.value)
        assert_same_picture(shown_picture(page, figure), after, before)

        set_control(page, figure, live, "unique", False, "5,0")
        ARTIFACTS.mkdir(exist_ok=True)
        figure.screenshot(path=str(ARTIFACTS / "site_threshold_explorer.png"))


@browser_test
def test_negative_ratio_explorer_shows_what_the_package_computes(site, browser):
    from ssd_course import widgets

    live = widgets.negative_ratio_explorer("coffee", neg_pos_ratio=3.0)
    # ratio 3.0 (the 7th value), all negatives off
    page_url = f"{site[0]}06_hard_negative_mining.html"
    with explorer_on(browser, page_url, "figure.explorer", "6,0", live) as (page, figure):
        before = picture(live.image.value)

        set_control(page, figure, live, "neg_pos_ratio", 1.0, "2,0")
        assert live.state["kept_negatives"] == live.state["positives"]  # min(1 x P, negatives)
        after = picture(live.image.value)
        assert_same_picture(shown_picture(page, figure), after, before)

        set_control(page, figure, live, "all_negatives", True, "*,1")
        assert live.state["kept_negatives"] == live.state["negatives"]
        assert_same_picture(shown_picture(page, figure), picture(live.image.value), after)


@browser_test
def test_box_explorer_draws_what_the_package_computes(site, browser):
    from matplotlib import colormaps

    from ssd_course import matching, priors, widgets
    from ssd_course.boxes import cxcywh_to_xyxy

    live = widgets.box_explorer("coffee", box_cxcywh=(0.5, 0.5, 0.3, 0.4))
    priors_cxcy = priors.tiny_detector_priors()
    # cx, cy, w, h = 0.5, 0.5, 0.3, 0.4 on the grid of 0.1 steps
    page_url = f"{site[0]}01_boxes_and_iou.html"
    with explorer_on(browser, page_url, "figure.box-explorer", "4,4,2,3", live) as (page, figure):
        for control, value, setting in (("cx", 0.2, "1,4,2,3"), ("w", 0.4, "1,4,3,3"), ("cy", 0.9, "1,8,3,3"),
                                        ("h", 0.1, "1,8,3,0")):
            set_control(page, figure, live, control, value, setting)
            state = live.state
            drawn = page.evaluate("""f => {
                const photo = f.querySelector('.box-photo');
                const [, , W, H] = photo.getAttribute('viewBox').split(' ').map(Number);
                const gt = photo.querySelector('rect.gt-box');
                return {
                    best: Number(f.querySelector('.box-mosaic rect.best-cell').getAttribute('data-prior')),
                    prior: Number(photo.querySelector('rect.best-prior').getAttribute('data-prior')),
                    gt: [gt.getAttribute('x') / W, gt.getAttribute('y') / H,
                         (+gt.getAttribute('x') + +gt.getAttribute('width')) / W,
                         (+gt.getAttribute('y') + +gt.getAttribute('height')) / H],
                    fills: [...f.querySelectorAll('.box-mosaic rect[data-prior]:not(.best-cell)')]
                        .sort((a, b) => a.dataset.prior - b.dataset.prior).map(r => r.getAttribute('fill')),
                };
            }""", figure.element_handle())
            assert drawn["best"] == drawn["prior"] == state["best_prior"]
            np.testing.assert_allclose(drawn["gt"], state["box"], atol=1e-6)
            box = cxcywh_to_xyxy(torch.tensor([[live.controls[k].value for k in ("cx", "cy", "w", "h")]])).clamp(0, 1)
            iou = matching.gt_prior_iou(box, priors_cxcy)[0]
            colours = colormaps["viridis"](iou.double().numpy(), bytes=True)
            assert drawn["fills"] == ["#%02x%02x%02x" % tuple(c[:3]) for c in colours.tolist()]
        ARTIFACTS.mkdir(exist_ok=True)
        figure.screenshot(path=str(ARTIFACTS / "site_box_explorer.png"))


# ---------------------------------------------------------------------------------------------
# Two languages


def notebook(cells: list[dict]) -> str:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, ensure_ascii=False)


def markdown(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def code(text: str, outputs: list[dict]) -> dict:
    return {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": text, "outputs": outputs}


def stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


WIDGET = {"output_type": "display_data", "metadata": {},
          "data": {"application/vnd.jupyter.widget-view+json": {"model_id": "x", "version_major": 2,
                                                                  "version_minor": 0}, "text/plain": "VBox()"}}


@pytest.fixture(scope="module")
def bilingual(tmp_path_factory):
    """A repository of three made-up notebooks, two of them translated, built and served."""
    root = tmp_path_factory.mktemp("bilingual")
    (root / "notebooks" / "zh").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "images").mkdir()
    for name in ("README.md", "README.zh-CN.md", "LICENSE", "images/CREDITS.md"):
        (root / name).write_text("text\n", encoding="utf-8")
    (root / "docs" / "instructors.md").write_text("# Instructor guide\n\nRun the tests.\n", encoding="utf-8")
    (root / "notebooks" / "GLOSSARY.md").write_text(
        "# Glossary\n\n| English | 中文 |\n|---|---|\n| hard negative mining | 难例挖掘 |\n", encoding="utf-8")
    (root / "notebooks" / "zh" / "GLOSSARY.md").write_text(
        "# 术语表\n\n| 中文 | English |\n|---|---|\n| 难例挖掘 | hard negative mining |\n", encoding="utf-8")
    explorer = code('explorer = widgets.box_explorer("coffee", box_cxcywh=(0.5, 0.5, 0.3, 0.4))\nexplorer', [WIDGET])
    files = {
        "00_overview.ipynb": [markdown("# 00 · Overview: a start\n\n- See a loss $L = \\frac{1}{N} L_{conf}$.\n\n"
                                       "**Time**: about 10 minutes.\n\nNext: [01](01_next.ipynb), the "
                                       "[glossary](GLOSSARY.md)."), code("print(1)", [stream("1\n")])],
        "01_next.ipynb": [markdown("# 01 · Next\n\n- Hard negative mining keeps the worst negatives.\n\n"
                                   "**Time**: about 20 minutes.\n\n## Explore\n\nMove the box."), explorer],
        "02_last.ipynb": [markdown("# 02 · Last\n\n- The end.\n\n**Time**: about 5 minutes.")],
        "zh/00_overview.ipynb": [markdown("# 00 · 概览：开始\n\n- 看一个损失 $L = \\frac{1}{N} L_{conf}$。\n\n"
                                          "**时间**：约 10 分钟。\n\n下一节：[01](01_next.ipynb)；最后一节还没有中文版："
                                          "[02](../02_last.ipynb)；[术语表](GLOSSARY.md)。"),
                                 code("print(1)", [stream("1\n")])],
        "zh/01_next.ipynb": [markdown("# 01 · 下一节\n\n- 难例挖掘保留损失最大的负样本。\n\n**时间**：约 20 分钟。\n\n"
                                      "## 探索\n\n移动这个框。"), explorer],
    }
    for name, cells in files.items():
        (root / "notebooks" / name).write_text(notebook(cells), encoding="utf-8")
    output = build(root, root / "build" / "site")
    server = Server(root)
    yield root / "build" / "site", server.url + "build/site/", output
    server.close()


def test_links_go_to_the_repository_when_its_address_is_given(bilingual, tmp_path):
    out = tmp_path / "site"
    build(bilingual[0].parent.parent, out, "--repo-url", "https://github.com/example/course", "--ref", "abc123")
    blob = "https://github.com/example/course/blob/abc123/"
    page = (out / "00_overview.html").read_text(encoding="utf-8")
    assert f'href="{blob}notebooks/00_overview.ipynb"' in page and f'href="{blob}LICENSE"' in page
    chinese = (out / "zh" / "00_overview.html").read_text(encoding="utf-8")
    assert f'href="{blob}notebooks/zh/00_overview.ipynb"' in chinese
    landing = (out / "index.html").read_text(encoding="utf-8")
    assert "git clone https://github.com/example/course" in landing and f'href="{blob}README.md"' in landing
    assert f'href="{blob}README.zh-CN.md"' in (out / "zh" / "index.html").read_text(encoding="utf-8")


def test_an_english_only_site_has_no_language_switch(bilingual, tmp_path):
    root = tmp_path / "english"
    shutil.copytree(bilingual[0].parent.parent, root, ignore=shutil.ignore_patterns("build", "zh", "*.zh-CN.md"))
    output = build(root, root / "build" / "site")
    assert re.search(r"built \d+ pages \(en\)", output), output
    assert "hreflang" not in (root / "build" / "site" / "index.html").read_text(encoding="utf-8")
    assert not (root / "build" / "site" / "zh").exists()


@browser_test
def test_the_chinese_edition_is_built_with_a_switch_on_every_page(bilingual, browser):
    out, site_url, output = bilingual
    assert "(en, zh)" in output, output
    english = ["index", "00_overview", "01_next", "02_last", "glossary", "instructors"]
    chinese = ["index", "00_overview", "01_next", "glossary"]  # no Chinese 02 nor instructors' guide here
    assert sorted(p.stem for p in (out / "zh").glob("*.html")) == sorted(chinese)
    cache: dict[str, tuple[int, bytes]] = {}
    for prefix, names, others, other_prefix in (("", english, chinese, "zh/"), ("zh/", chinese, english, "")):
        for name in names:
            url = f"{site_url}{prefix}{name}.html"
            with Visit(browser, url, 375) as visit:
                page = visit.page
                assert not visit.problems and not visit.outside, (url, visit.problems, visit.outside)
                assert not check_links(url, page.content(), cache)
                switch = page.locator("a.language")
                assert switch.count() == 1 and switch.is_visible(), url
                counterpart = name if name in others else "index"
                target = urljoin(url, switch.get_attribute("href"))
                assert target == f"{site_url}{other_prefix}{counterpart}.html", (url, target)
                assert page.evaluate("document.documentElement.lang") == ("en" if prefix == "" else "zh-CN")
                assert switch.inner_text() == ("中文" if prefix == "" else "English")
                assert page.locator(".math .katex").count() == page.locator(".math").count()

    # the Chinese pages speak Chinese around the course's own text, and link within their edition
    with Visit(browser, f"{site_url}zh/00_overview.html") as visit:
        page = visit.page
        assert "在本地运行这个笔记本" in page.locator(".run-live").inner_text()
        assert "notebooks/zh/00_overview.ipynb" in page.locator(".run-live").inner_text()
        assert page.locator(".prev-next.top .next span").inner_text() == "下一节"
        assert page.locator(".page-body a", has_text="01").get_attribute("href") == "01_next.html"
        assert page.locator(".page-body a", has_text="02").get_attribute("href") == "../02_last.html"
        assert page.locator(".page-body a", has_text="术语表").get_attribute("href") == "glossary.html"
        page.locator("a.language").click()
        page.wait_for_url(f"{site_url}00_overview.html")
    with Visit(browser, f"{site_url}zh/01_next.html") as visit:
        figure = visit.page.locator("figure.box-explorer")
        wait_for_setting(visit.page, figure, "4,4,2,3")
        assert shown_readout(figure).startswith("框 (x1, y1, x2, y2) = (0.35, 0.30, 0.65, 0.70)")
        assert "真实框及其最佳先验框" in figure.inner_text()
        visit.page.fill("#search", "难例挖掘")
        results = visit.page.locator("#search-results a")
        results.first.wait_for(timeout=10_000)
        hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
        pages = {href.split("#")[0] for href in hrefs}
        assert {"01_next.html", "glossary.html"} <= pages, hrefs
        assert not visit.problems, visit.problems
