"""The built report in a real browser: headless Chromium opens every chapter from a loopback
HTTP server and checks that each ``<audio>`` element has a source the browser can decode.

The Chromium is Debian's (``make test`` installs it with ``scripts/install-system-deps.sh --browser``),
driven by Playwright with ``executable_path`` set: no browser is downloaded.
Skipped when no book is built (a plain ``pytest`` run), like ``test_book``.
"""

import functools
import http.server
import json
import re
import shutil
import threading
from pathlib import Path

import pytest

from tools.book import notebooks_in_toc

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"

pytestmark = pytest.mark.skipif(not (HTML / "index.html").exists(),
                                reason="no built book: run 'make test' or 'python tools/book.py --profile quick'")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]

#: For each <audio>: its source type, whether Chromium can play that type, whether the
#: source's metadata loaded (the data decodes) with a positive duration, and whether it plays:
#: started muted (what a page may do without a click), its clock advances.
PROBE_AUDIO = """async () => {
  const probe = (a) => new Promise((resolve) => {
    const done = (ok) => resolve({ok, duration: a.duration, error: a.error && a.error.code});
    if (a.readyState >= 1) return done(true);
    a.addEventListener('loadedmetadata', () => done(true), {once: true});
    a.addEventListener('error', () => done(false), {once: true});
    setTimeout(() => done(false), 15000);
    a.preload = 'metadata';
    a.load();
  });
  const out = [];
  for (const a of document.querySelectorAll('audio')) {
    const s = a.querySelector('source');
    const type = (s && s.type) || '';
    const src = a.currentSrc || (s && s.src) || a.src || '';
    const loaded = await probe(a);
    let played = false;
    if (loaded.ok) {
      a.muted = true;
      try { await a.play(); await new Promise((r) => setTimeout(r, 300)); played = a.currentTime > 0; }
      catch (e) { played = false; }
      a.pause();
    }
    out.push({type, src_start: src.slice(0, 22), can: a.canPlayType(type), played, ...loaded});
  }
  return out;
}"""


@pytest.fixture(scope="module")
def server():
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(HTML)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("no chromium on PATH: run 'bash scripts/install-system-deps.sh --browser' (Debian package chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in requirements.txt")
    with sync_api.sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(tmp_path_factory.mktemp("chromium-profile")),
                                                   executable_path=chromium, headless=True, args=FLAGS)
        assert ctx.browser is None or "chromium" in (ctx.browser.browser_type.name or "")
        page = ctx.new_page()
        # offline, as a reader behind a firewall: every request that leaves the loopback server fails
        page.route("**/*", lambda route: route.continue_()
                   if route.request.url.startswith(("http://127.0.0.1", "data:")) else route.abort())
        yield page
        ctx.close()


@pytest.mark.parametrize("stem", [nb.stem for nb in notebooks_in_toc()])
def test_audio_players_load_in_chromium(server, browser_page, stem):
    response = browser_page.goto(f"{server}/notebooks/{stem}.html", wait_until="load")
    assert response is not None and response.status == 200
    players = browser_page.evaluate(PROBE_AUDIO)
    assert players, f"{stem}: no <audio> element in the rendered page"
    for i, p in enumerate(players):
        assert p["can"] in ("maybe", "probably"), f"{stem} player {i}: Chromium cannot play {p['type']!r}"
        assert p["ok"] and p["duration"] > 0, f"{stem} player {i} ({p['src_start']}...): did not load: {p}"
        assert p["played"], f"{stem} player {i}: loaded but did not play: {p}"


#: JavaScript errors a page may raise without failing the test, each with why.
ALLOWED_JS_ERRORS = (
    # sphinx-thebe (the "live code" launch button) writes its inline `const THEBE_JS_URL = ...` twice into
    # every page; the second declaration throws, harmlessly: thebe itself only loads on a click.
    "THEBE_JS_URL",
    # the widget manager (@jupyter-widgets/html-manager 1.0.6) typesets widget outputs with MathJax 2's
    # MathJax.Hub.Queue; the book's MathJax 3 has no Hub, so that call throws on pages whose widgets hold
    # Output areas. The widgets are drawn all the same (checked above); ours show no LaTeX inside them.
    "reading 'Queue'",
)


def _source_has(stem: str, pattern: str, cell_type: str) -> bool:
    cells = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text())["cells"]
    return any(re.search(pattern, "".join(c["source"])) for c in cells if c["cell_type"] == cell_type)


@pytest.mark.parametrize("stem", [nb.stem for nb in notebooks_in_toc()])
def test_math_and_widgets_render_offline_without_errors(server, browser_page, stem):
    errors = []

    def on_error(exc):
        errors.append(str(exc))

    browser_page.on("pageerror", on_error)
    try:
        browser_page.goto(f"{server}/notebooks/{stem}.html", wait_until="load")
        if _source_has(stem, r"\$[^$\n]+\$", "markdown"):  # MathJax, served by the book itself, typesets it
            browser_page.wait_for_selector("mjx-container", state="attached", timeout=30000)
            assert "\\(" not in browser_page.inner_text("main"), f"{stem}: raw LaTeX left in the page"
        if _source_has(stem, r"widgets\.", "code"):  # the embedded widget manager draws the saved widgets
            browser_page.wait_for_selector(".jupyter-widgets.widget-container, .widget-dropdown",
                                           state="attached", timeout=30000)
        browser_page.wait_for_timeout(500)
    finally:
        browser_page.remove_listener("pageerror", on_error)
    assert [e for e in errors if not any(a in e for a in ALLOWED_JS_ERRORS)] == [], f"{stem}: {errors}"
