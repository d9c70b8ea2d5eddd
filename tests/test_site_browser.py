"""The built site, opened page by page in a real browser.

The site in ``SITE_HTML`` (default ``docs/_build/html``, which ``make docs``
builds and ``make test`` builds first) is served on 127.0.0.1 and every page is
opened in headless Chromium -- Debian's ``chromium`` (``make browser`` installs
it), driven by Playwright pointed at that binary; nothing ever downloads a
browser.  One browser visits every page once; the tests below then judge what
it saw:

* every formula is typeset (MathJax output in each math element, no TeX error,
  no raw TeX delimiters left in the text);
* every image loads and has alt text, every plot figure has a caption;
* no request leaves 127.0.0.1 and nothing answers 4xx/5xx;
* no console error and no uncaught exception;
* every internal link resolves, anchors included;
* no page scrolls sideways in a narrow (390 px) window;
* the search page finds "focal".

Screenshots of the landing page and a spec page (wide and narrow) are written
to ``<site>/_screenshots/``.
"""

from __future__ import annotations

import functools
import json
import math
import os
import pathlib
import shutil
import tempfile
import threading
import urllib.parse
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SITE = pathlib.Path(os.environ.get("SITE_HTML", ROOT / "docs" / "_build" / "html")).resolve()
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# the committed matrix data (make matrix writes it; tests/test_matrix_data.py checks it is current)
MATRIX = ROOT / "docs" / "conformance" / "matrix"
SHOTS = SITE / "_screenshots"
WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 390, "height": 844}
# Chromium must stay quiet on the network: no updates, sync, field trials or QUIC.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--no-default-browser-check"]
PAGE_TIMEOUT_MS = 30_000


# ---------------------------------------------------------------------------
# what the browser runs in each page
# ---------------------------------------------------------------------------

WAIT_FOR_MATHJAX = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  if (document.fonts) { await document.fonts.ready; }
  return true;
}"""

# Everything the tests judge, gathered from the rendered page in one call.
INSPECT = r"""() => {
  const inCode = (node) => node.parentElement &&
      node.parentElement.closest('pre, code, script, style, textarea, mjx-container, .highlight');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const rawTex = [];
  const pattern = /\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$\\[a-zA-Z]/;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!inCode(node) && pattern.test(node.data)) { rawTex.push(node.data.trim().slice(0, 120)); }
  }
  const math = Array.from(document.querySelectorAll('.math'));
  return {
    title: document.title,
    mathElements: math.length,
    mathUntypeset: math.filter((el) => !el.querySelector('mjx-container'))
                       .map((el) => el.textContent.trim().slice(0, 120)),
    mathContainers: document.querySelectorAll('mjx-container').length,
    texErrors: Array.from(document.querySelectorAll('mjx-merror, [data-mjx-error]'))
                   .map((el) => (el.getAttribute('data-mjx-error') || el.textContent).slice(0, 120)),
    rawTex: rawTex,
    images: Array.from(document.images).map((img) => ({
      src: img.currentSrc || img.src, loaded: img.complete && img.naturalWidth > 0,
      alt: (img.getAttribute('alt') || '').trim(), inArticle: !!img.closest('article'),
    })),
    figuresWithoutCaption: Array.from(document.querySelectorAll('article figure'))
        .filter((f) => f.querySelector('img') && !(f.querySelector('figcaption') || {}).textContent)
        .map((f) => f.querySelector('img').getAttribute('src')),
    links: Array.from(document.querySelectorAll('a[href]')).map((a) => a.href),
    ids: Array.from(document.querySelectorAll('[id], a[name]')).map((el) => el.id || el.getAttribute('name')),
  };
}"""

# Content that sticks out of a narrow window, unless it sits in a box that
# scrolls sideways (tables, code, display math) -- clipped content counts too.
HORIZONTAL_OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const article = document.querySelector('article') || document.body;
  const scrolls = (el) => {
    for (let a = el.parentElement; a && a !== article.parentElement; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o === 'auto' || o === 'scroll') { return true; }
    }
    return false;
  };
  const culprits = [];
  for (const el of article.querySelectorAll('*')) {
    if (el.closest('mjx-container') && el.tagName.toLowerCase() !== 'mjx-container') { continue; }
    const r = el.getBoundingClientRect();
    if (r.width === 0 || (r.right <= width + 1 && r.left >= -1)) { continue; }
    if (!scrolls(el)) {
      culprits.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ')[0] : '')
                    + ' (' + Math.round(r.left) + '..' + Math.round(r.right) + ' px)');
      if (culprits.length === 3) { break; }
    }
  }
  const over = document.documentElement.scrollWidth - width;
  return culprits.length || over > 1 ? {page_overflow_px: over, culprits: culprits} : null;
}"""

NEXT_FRAMES = """() => new Promise((done) =>
  requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 50))))"""

SEARCH_RESULTS = """() => {
  const items = document.querySelectorAll('#search-results ul.search li');
  const summary = document.querySelector('#search-results .search-summary');
  return items.length > 0 || (summary && /found/i.test(summary.textContent));
}"""


# ---------------------------------------------------------------------------
# serving the site
# ---------------------------------------------------------------------------

class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def site_url():
    if not (SITE / "index.html").is_file():
        pytest.fail(f"the site is not built: {SITE / 'index.html'} does not exist. "
                    "Run `make docs` (make test builds it first), or point SITE_HTML at a build.")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(SITE)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def site_pages() -> list[str]:
    """Every HTML page of the build, as a path relative to the site root."""
    skip = {"_static", "_sources", "_images", "_screenshots"}
    return sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html")
                  if not skip & set(p.relative_to(SITE).parts[:-1]))


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the Python package playwright is missing: install the test extra "
                    "(pip install -e '.[test]'); never run `playwright install`")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make browser` "
                    "(apt-get install --no-install-recommends chromium)")
    profile = tempfile.mkdtemp(prefix="loss-spec-chromium-")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport=WIDE, service_workers="block")
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


def _is_local(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1"


@pytest.fixture(scope="module")
def crawl(browser, site_url):
    """Open every page once; return what each one showed, keyed by its path."""
    outside: list[str] = []

    def guard(route):
        if _is_local(route.request.url):
            route.continue_()
        else:  # never let it out; the test reports it
            outside.append(route.request.url)
            route.abort()

    browser.route("**/*", guard)
    seen = {}
    for path in site_pages():
        seen[path] = _visit(browser, site_url + path)
    seen["__outside__"] = outside
    return seen


def _visit(context, url: str) -> dict:
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    errors: list[str] = []
    bad_responses: list[str] = []
    page.on("console", lambda msg: errors.append(f"console.{msg.type}: {msg.text}")
            if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.on("requestfailed", lambda req: bad_responses.append(f"{req.url}: {req.failure}")
            if _is_local(req.url) else None)
    page.on("response", lambda resp: bad_responses.append(f"{resp.url}: HTTP {resp.status}")
            if resp.status >= 400 else None)
    try:
        response = page.goto(url, wait_until="load")
        page.evaluate(WAIT_FOR_MATHJAX)
        info = page.evaluate(INSPECT)
        info["status"] = response.status if response else None
        page.set_viewport_size(NARROW)
        page.evaluate(NEXT_FRAMES)  # let the page's resize handlers run
        info["narrow_overflow"] = page.evaluate(HORIZONTAL_OVERFLOW)
    finally:
        page.close()
    info["errors"] = errors
    info["bad_responses"] = bad_responses
    return info


def _pages(crawl):
    return {k: v for k, v in crawl.items() if not k.startswith("__")}


def _report(problems: dict) -> str:
    return "\n".join(f"{page}: {detail}" for page, detail in problems.items())


# ---------------------------------------------------------------------------
# the tests
# ---------------------------------------------------------------------------

def test_the_site_has_its_pages(crawl):
    pages = _pages(crawl)
    for path in ("index.html", "tutorial.html", "conformance/matrix.html", "spec/focal.html",
                 "api/focal.html", "search.html", "errata.html"):
        assert path in pages, f"{path} is missing from the build"
    failed = {p: v["status"] for p, v in pages.items() if v["status"] != 200}
    assert not failed, _report(failed)


def test_every_formula_is_typeset(crawl):
    pages = _pages(crawl)
    problems = {}
    for path, v in pages.items():
        if v["mathUntypeset"] or v["texErrors"] or v["rawTex"]:
            problems[path] = {"untypeset": v["mathUntypeset"][:3], "tex errors": v["texErrors"][:3],
                              "raw TeX in text": v["rawTex"][:3]}
    assert not problems, _report(problems)
    # The spec is about formulas: the pages that state them must have typeset some.
    for path in ("index.html", "spec/focal.html", "spec/softmax.html", "api/focal.html"):
        assert pages[path]["mathContainers"] > 0, f"{path} shows no typeset formula"


def test_every_image_loads_with_alt_text_and_captions(crawl):
    problems = {}
    for path, v in _pages(crawl).items():
        broken = [i["src"] for i in v["images"] if not i["loaded"]]
        no_alt = [i["src"] for i in v["images"] if i["inArticle"] and not i["alt"]]
        if broken or no_alt or v["figuresWithoutCaption"]:
            problems[path] = {"not loaded": broken, "no alt text": no_alt,
                              "figure without caption": v["figuresWithoutCaption"]}
    assert not problems, _report(problems)
    assert any(v["images"] for v in _pages(crawl).values()), "no page shows an image: are the plots built?"


def test_no_request_leaves_the_machine_and_none_fails(crawl):
    assert not crawl["__outside__"], "requests to other hosts:\n" + "\n".join(sorted(set(crawl["__outside__"])))
    failed = {p: v["bad_responses"] for p, v in _pages(crawl).items() if v["bad_responses"]}
    assert not failed, _report(failed)


def test_no_console_error(crawl):
    problems = {p: v["errors"] for p, v in _pages(crawl).items() if v["errors"]}
    assert not problems, _report(problems)


def test_every_internal_link_resolves(crawl, site_url):
    pages = _pages(crawl)
    ids = {path: set(v["ids"]) for path, v in pages.items()}
    problems: dict[str, list[str]] = {}
    for path, v in pages.items():
        for href in v["links"]:
            if not href.startswith(site_url):
                continue
            target, _, fragment = href[len(site_url):].partition("#")
            target = urllib.parse.unquote(target.split("?")[0])
            if target == "" or target.endswith("/"):
                target += "index.html"
            file = SITE / target
            if not file.is_file():
                problems.setdefault(path, []).append(f"{href}: no file {target}")
            elif fragment and target in ids and urllib.parse.unquote(fragment) not in ids[target]:
                problems.setdefault(path, []).append(f"{href}: no anchor #{fragment} in {target}")
    assert not problems, _report({p: sorted(set(v))[:10] for p, v in problems.items()})


def test_pages_fit_a_narrow_window(crawl):
    problems = {p: v["narrow_overflow"] for p, v in _pages(crawl).items() if v["narrow_overflow"]}
    assert not problems, _report(problems)


def test_landing_page_reaches_every_formula_the_matrix_and_the_tutorial(crawl, site_url):
    """Two clicks from the landing page: it links (directly or through the
    sidebar) to the tutorial, the matrix and every spec page."""
    links = {href[len(site_url):].split("#")[0] for href in _pages(crawl)["index.html"]["links"]
             if href.startswith(site_url)}
    spec_pages = {p for p in _pages(crawl) if p.startswith("spec/")}
    for target in {"tutorial.html", "conformance/matrix.html", "errata.html", "api/index.html"} | spec_pages:
        assert target in links, f"the landing page does not link to {target}"


def test_search_finds_focal(browser, site_url):
    page = browser.new_page()
    try:
        page.goto(site_url + "search.html?q=focal", wait_until="load")
        page.wait_for_function(SEARCH_RESULTS, timeout=PAGE_TIMEOUT_MS)
        hits = page.eval_on_selector_all("#search-results ul.search li a",
                                         "els => els.map((a) => a.getAttribute('href'))")
        # Sphinx keeps the search words in localStorage and highlights them on
        # every later page of this profile (the screenshots included).
        page.evaluate("() => localStorage.clear()")
    finally:
        page.close()
    assert any(h.split("?")[0].split("#")[0] == "spec/focal.html" for h in hits), \
        f"searching 'focal' does not find the focal spec page; results: {hits}"


def test_screenshots(browser, site_url):
    """The landing page and a spec page, wide and narrow, into the build output."""
    SHOTS.mkdir(exist_ok=True)
    made = []
    for path, name in (("index.html", "landing"), ("spec/focal.html", "spec-focal")):
        for size, label in ((WIDE, "wide"), (NARROW, "narrow")):
            page = browser.new_page()
            try:
                page.set_viewport_size(size)
                page.goto(site_url + path, wait_until="load")
                page.evaluate(WAIT_FOR_MATHJAX)
                out = SHOTS / f"{name}-{label}.png"
                page.screenshot(path=str(out), full_page=(label == "wide" and name == "landing"))
                made.append(out)
            finally:
                page.close()
    for out in made:
        assert out.stat().st_size > 10_000, f"{out} is suspiciously small"


# ---------------------------------------------------------------------------
# the landing page's measured examples come from the conformance matrix
# ---------------------------------------------------------------------------

# The landing page's table: (adapter, check id, status, index into the result
# or None, the value the page states). The page must cite each check's clause.
TWO_LN2 = 2 * math.log(2)
LANDING_CLAIMS = [
    ("reference", "sce.special.confident", "pass", None, None),
    ("torch", "sce.special.confident", "known_deviation", 0, 0.0),
    ("jax", "sce.special.confident", "known_deviation", 0, 0.0),
    ("keras", "sce.special.confident", "known_deviation", 0, 0.0),
    ("onnxruntime", "sce.special.confident", "known_deviation", 0, 0.0),
    ("scipy", "log_softmax.special.confident", "known_deviation", 0, 0.0),
    ("reference", "bce.special.zero-one", "pass", None, None),
    ("torch", "bce.special.zero-one", "known_deviation", 2, 100.0),
    ("keras", "bce.special.zero-one", "known_deviation", 2, -math.log(1e-7)),
    ("reference", "sce.special.posinf-target", "pass", None, None),
    ("torch", "sce.special.posinf-target", "known_deviation", 0, math.nan),
    ("jax", "sce.special.posinf-target", "known_deviation", 0, math.nan),
    ("keras", "sce.special.posinf-target", "known_deviation", 0, math.nan),
    ("onnxruntime", "sce.special.posinf-target", "known_deviation", 0, math.nan),
    ("reference", "red.weights.sce", "pass", None, None),
    ("torch", "red.weights.sce.fixed-one-hot", "known_deviation", None, TWO_LN2),  # the page's example, a row
]


@pytest.mark.parametrize("adapter, check_id, status, index, value", LANDING_CLAIMS)
def test_landing_page_examples_are_measured(adapter, check_id, status, index, value):
    report = MATRIX / f"{adapter}.json"
    if not report.is_file():
        pytest.fail(f"no matrix data {report}: run `make matrix`")
    rows = {r["check"]: r for r in json.loads(report.read_text())["results"]}
    assert rows[check_id]["status"] == status, (adapter, check_id, rows[check_id]["message"])
    if value is not None:
        got = rows[check_id]["got"]
        got = float(got if index is None else got[index])
        assert (math.isnan(got) and math.isnan(value)) or math.isclose(got, value, rel_tol=1e-6), \
            (adapter, check_id, got, value)
    clause = rows[check_id]["clause"]
    text = (ROOT / "docs" / "index.md").read_text()
    assert f"{{clauseref}}`{clause}`" in text, f"the landing page does not cite clause {clause}"
