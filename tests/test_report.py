"""The listening report: one self-contained page, its players and spectrograms checked in headless Chromium."""

import re
import shutil

import numpy as np
import pytest
import soundfile as sf

from srlib.audio import resample
from srlib.cli import main

CHROMIUM = shutil.which("chromium")

#: Each <audio>'s source loads and plays (muted, as a page may without a click); each <img> is drawn.
PROBE = """async () => {
  const audio = [];
  for (const a of document.querySelectorAll('audio')) {
    const ok = await new Promise((resolve) => {
      if (a.readyState >= 1) return resolve(true);
      a.addEventListener('loadedmetadata', () => resolve(true), {once: true});
      a.addEventListener('error', () => resolve(false), {once: true});
      setTimeout(() => resolve(false), 15000);
      a.load();
    });
    let played = false;
    if (ok) { a.muted = true; await a.play(); await new Promise((r) => setTimeout(r, 300)); played = a.currentTime > 0; a.pause(); }
    audio.push({ok, played, duration: a.duration});
  }
  const images = [...document.images].map((i) => ({drawn: i.complete && i.naturalWidth > 0}));
  return {audio, images};
}"""


@pytest.fixture
def call(tmp_path):
    """A phone-band recording stored at 16 kHz: noise shaped like speech, its band stopping at 4 kHz."""
    rng = np.random.default_rng(0)
    x = np.convolve(rng.standard_normal(16000 * 5), np.hanning(9), "same") * np.repeat(rng.random(50), 1600)
    path = tmp_path / "call.wav"
    sf.write(path, (0.1 * resample(resample(x, 16000, 8000), 8000, 16000)).astype("float32"), 16000)
    return path


def test_the_report_is_one_page_with_a_player_and_a_spectrogram_per_method(call, tmp_path, capsys):
    out = tmp_path / "report.html"
    assert main(["report", str(call), "-o", str(out), "--methods", "default", "sinc"]) == 0
    page = out.read_text()
    assert "http://" not in page and "https://" not in page  # nothing from the network
    assert page.count("<audio") == 3 and page.count("data:image/png;base64,") == 3  # the file and two methods
    assert "its band stops at 3." in page and "frame-speech-16k-4to12k" in page
    assert re.search(r"<td>[1-5]\.\d\d</td>", page)  # DNSMOS beside each
    assert main(["report", str(call), "-o", str(out)]) == 1  # an existing page is kept
    assert "exists" in capsys.readouterr().err


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium: bash scripts/install-system-deps.sh --browser")
def test_the_reports_players_play_and_its_images_draw_in_chromium(call, tmp_path):
    from playwright.sync_api import sync_playwright

    out = tmp_path / "report.html"
    assert main(["report", str(call), "-o", str(out), "--methods", "default", "spline", "--no-dnsmos", "-q"]) == 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu",
                                                                    "--autoplay-policy=no-user-gesture-required"])
        try:
            page = browser.new_page()
            page.goto(out.as_uri())
            got = page.evaluate(PROBE)
        finally:
            browser.close()
    assert len(got["audio"]) == 3 and all(a["ok"] and a["played"] and a["duration"] > 4 for a in got["audio"]), got
    assert len(got["images"]) == 3 and all(i["drawn"] for i in got["images"]), got
