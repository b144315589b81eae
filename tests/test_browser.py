"""The built report in a real browser: headless Chromium opens every chapter from a loopback
HTTP server and checks that each ``<audio>`` element has a source the browser can decode.

The Chromium is Debian's (``make test`` installs it with ``scripts/install-system-deps.sh --browser``),
driven by Playwright with ``executable_path`` set: no browser is downloaded.
Skipped when no book is built (a plain ``pytest`` run), like ``test_book``.
"""

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from tools.book import notebooks_in_toc

HTML = Path(__file__).resolve().parent.parent / "_build" / "html"

pytestmark = pytest.mark.skipif(not (HTML / "index.html").exists(),
                                reason="no built book: run 'make test' or 'python tools/book.py --profile quick'")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]

#: For each <audio>: its source type, whether Chromium can play that type, and whether
#: the source's metadata loaded (the data decodes) with a positive duration.
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
    out.push({type, src_start: src.slice(0, 22), can: a.canPlayType(type), ...(await probe(a))});
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
        yield ctx.new_page()
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
