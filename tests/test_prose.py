"""The course's prose says only what its cells show: no measured number is typed in a chapter's Markdown.

Every measured number reaches the text through myst-nb's ``glue`` (or Markdown a cell computes). What a
chapter may type is short and listed here: section numbers, whole-number rates and frequencies, the few
decimal rates below, standards' names and the few constants below, each with where it comes from. Code
(code spans, fenced blocks) and math hold the code's own settings and are not prose.

A chapter's code is read beside its prose, so every code line fits a reading pane of :data:`PANE_CHARS`.
"""

import json
import re
from pathlib import Path

import pytest

from tools.book import notebooks_in_toc

ROOT = Path(__file__).resolve().parent.parent
#: The widest code line a chapter may show: a reading pane beside the prose, without scrolling.
PANE_CHARS = 88

#: Typed decimals that are not measurements: the phrase around each, and why it may stay typed.
ALLOWED = {
    "0.8 of": "srlib.data.recorded.GATE_FRACTION and the 0.8 edge of scipy's decimate filter: design constants",
    "0.05 dB ripple": "the passband ripple of scipy.signal.decimate's Chebyshev filter (its documentation)",
    "1.5 times the inter-quartile": "the definition of a box plot's whiskers (matplotlib's default)",
    "1.04-4.64": "the range of P.862.2's MOS-LQO mapping (ITU-T P.862.2)",
    "1.04 to 4.64": "the range of P.862.2's MOS-LQO mapping (ITU-T P.862.2)",
    "2.8 times": "44100 / 16000 = 2.76: two sample rates' ratio",
    "0.55 times sinc's": "the project's LSD target for the default model (issue tracker), not a result",
    "25.6 ms": "256 samples at 10 kHz: STOI's frame (pystoi's constants)",
    "9.01 s": "the window DNSMOS scores (Reddy et al. 2021, the DNS Challenge's scripts)",
    "4.3 kHz": "the top of STOI's highest third-octave band (pystoi's constants)",
    "temperatures 0, 0.5 and 1": "the settings a reader chooses, not results",
    "Python 3.11": "the interpreter version srlib is tested with",
    "G.711": "ITU-T G.711, the telephone companding standard (mu-law, A-law)",
    "GSM 06.10": "ETSI GSM 06.10, the full-rate telephone codec libsndfile codes",
}

#: Decimal rates and band edges in kHz that are settings, each with where it comes from. Any other decimal
#: frequency is a measurement (a detected cutoff, a bandwidth) and is glued.
RATES_KHZ = {
    "44.1": "the CD rate, music's storage rate (srlib.data.recorded.STORE_SR_HZ)",
    "22.05": "44.1 kHz / 2",
    "11.025": "44.1 kHz / 4: ratio 4 into 44.1 kHz",
    "8.82": "44.1 kHz / 5: the versatile music model's lowest input rate (its config.json)",
    "5.5": "11.025 kHz's Nyquist frequency (5.5125 kHz), rounded",
}

#: A decimal that is a section number or a standard's number.
_NOT_MEASURED = re.compile(r"(?:[Ss]ections?|##+)\s+\d+\.\d+(?:\s*(?:/|,|and|or|to)\s*\d+\.\d+)*|P\.\d+(?:\.\d+)?")
#: A frequency or a range of them: allowed where every decimal in it is one of :data:`RATES_KHZ`.
_FREQUENCY = re.compile(r"\d+(?:\.\d+)?(?:\s*(?:-|to)\s*\d+(?:\.\d+)?)?\s*k?Hz\b")
_DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])")


def _prose(text: str) -> str:
    """Markdown a reader reads as prose: no code, math, roles, labels or HTML comments."""
    text = re.sub(r"```.*?```|~~~.*?~~~", " ", text, flags=re.S)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$", " ", text, flags=re.S)
    text = re.sub(r"\{[\w:-]+\}`[^`]*`|`[^`]*`", " ", text)
    return re.sub(r"^\([\w-]+\)=\s*$", " ", text, flags=re.M)


def typed_decimals(text: str) -> list:
    """Each typed decimal of ``text``'s prose that is neither a section number, a rate, a standard nor
    :data:`ALLOWED`, with 40 characters around it."""
    prose = _prose(text)
    for phrase in ALLOWED:
        prose = prose.replace(phrase, " ")
    prose = _NOT_MEASURED.sub(" ", prose)
    prose = _FREQUENCY.sub(lambda m: " " if set(_DECIMAL.findall(m[0])) <= set(RATES_KHZ) else m[0], prose)
    return [prose[max(0, m.start() - 40): m.end() + 20].replace("\n", " ") for m in _DECIMAL.finditer(prose)]


def test_the_check_finds_a_typed_result_and_passes_settings():
    assert typed_decimals("The U-Net gains 0.07 dB over the spline.") == ["The U-Net gains 0.07 dB over the spline."]
    assert typed_decimals("LSD {glue:text}`nb04_unet_lsd` at 44.1 kHz (section 3.6), ITU-T P.862.2, $0.5x$") == []
    assert typed_decimals("From 8.82 to 32 kHz; `x = 0.25`") == []
    assert typed_decimals("the band stops at a 11.2 kHz cutoff") == ["the band stops at a 11.2 kHz cutoff"]


def _pages():
    for nb in notebooks_in_toc():
        cells = json.loads(nb.read_text())["cells"]
        yield nb.stem, "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    for page in sorted((ROOT / "book").glob("*.md")):
        yield page.name, page.read_text()


@pytest.mark.parametrize("name,text", list(_pages()), ids=[n for n, _ in _pages()])
def test_no_measured_number_is_typed_in_the_prose(name, text):
    assert typed_decimals(text) == [], f"{name}: glue these (or list a constant in ALLOWED, with its source)"


def test_code_cells_fit_a_reading_pane():
    too_long = [f"{nb.name} cell {i}: {line}" for nb in sorted((ROOT / "notebooks").glob("*.ipynb"))
                for i, cell in enumerate(json.loads(nb.read_text())["cells"]) if cell["cell_type"] == "code"
                for line in "".join(cell["source"]).splitlines() if len(line) > PANE_CHARS]
    assert too_long == [], f"code lines longer than {PANE_CHARS} characters (wrap them):\n" + "\n".join(too_long)


def test_no_page_holds_control_characters():
    """A backslash that a string ate (``\\t`` of ``\\text``, ``\\f`` of ``\\frac``) leaves a tab or a form feed
    in the page, and the formula renders broken: every page and chapter cell is plain text and newlines."""
    pages = (*sorted((ROOT / "book").glob("*.md")), ROOT / "README.md", ROOT / "DATA.md")
    texts = {p.name: p.read_text() for p in pages}
    texts.update({f"{nb.name} cell {i}": "".join(cell["source"])
                  for nb in sorted((ROOT / "notebooks").glob("*.ipynb"))
                  for i, cell in enumerate(json.loads(nb.read_text())["cells"])})
    bad = [f"{name}: {text[max(0, m.start() - 30): m.end() + 10]!r}" for name, text in texts.items()
           for m in re.finditer(r"[\x00-\x09\x0b-\x1f]", text)]
    assert bad == [], "control characters (an eaten backslash?):\n" + "\n".join(bad)
