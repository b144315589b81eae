"""Checks on the built report (``make test`` builds it in the quick profile before pytest runs).

Skipped when no build exists (a plain ``pytest`` run); CI always has one.
"""

import json
import re
from pathlib import Path

import pytest

from tools.book import notebooks_in_toc

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
EXECUTED = ROOT / "_build" / "src" / "notebooks"

pytestmark = pytest.mark.skipif(not (HTML / "index.html").exists(),
                                reason="no built book: run 'make test' or 'python tools/book.py --profile quick'")

#: Fewest <audio> players each chapter must show.
MIN_AUDIO = {"01_sampling_and_aliasing": 10, "02_spectrograms_and_griffin_lim": 6, "03_data_generation": 3,
             "04_unet_baseline": 4, "05_gan_extension": 5, "06_frame_level_model": 8,
             "07_results": 5,
             "08_music_super_resolution": 7, "09_other_families": 8}
#: Heaviest a chapter page may be (players embed Ogg Vorbis; see srlib.players).
PAGE_LIMIT_BYTES = dict.fromkeys(MIN_AUDIO, 2_000_000)


def _page(stem):
    return (HTML / "notebooks" / f"{stem}.html").read_text()


def _glued(stem):
    nb = json.loads((EXECUTED / f"{stem}.ipynb").read_text())
    out = {}
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                out[name] = o["data"].get("application/papermill.record/text/plain")
    return out


def test_every_notebook_page_exists_and_plays_audio():
    stems = [nb.stem for nb in notebooks_in_toc()]
    assert stems == sorted(MIN_AUDIO)
    for stem in stems:
        page = _page(stem)
        n_audio = page.count("<audio")
        assert n_audio >= MIN_AUDIO[stem], f"{stem}: {n_audio} audio players"
        assert re.search(r'<audio[^>]*>\s*<source src="data:audio/ogg;base64,[A-Za-z0-9+/]{100}', page), stem
        assert len(page.encode()) <= PAGE_LIMIT_BYTES[stem], f"{stem}: {len(page.encode()) / 1e6:.1f} MB"


def test_no_error_outputs_anywhere():
    for page in HTML.rglob("*.html"):
        text = page.read_text()
        assert "output_error" not in text and "Traceback (most recent call last)" not in text, page


def test_glued_numbers_are_in_the_page():
    glued = _glued("04_unet_baseline")
    assert {"nb04_unet_lsd", "nb04_spline_snr_db", "nb04_n_clips"} <= set(glued)
    page = _page("04_unet_baseline")
    assert "{glue" not in page
    for name in ("nb04_unet_lsd", "nb04_spline_lsd", "nb04_unet_lsd_hf"):
        assert re.search(rf">\s*{re.escape(glued[name])}\s*<", page), name


def test_widget_state_is_embedded():
    page = _page("01_sampling_and_aliasing")
    assert "application/vnd.jupyter.widget-state+json" in page
    assert "application/vnd.jupyter.widget-view+json" in page


def test_bibliography_resolves():
    refs = (HTML / "book" / "references.html").read_text()
    assert re.search(r"Audio\s+Super-Resolution\s+Using\s+Neural\s+Nets", refs, re.I)


def test_results_page_pastes_the_comparison_table_and_numbers():
    page = (HTML / "book" / "results.html").read_text()
    assert "{glue" not in page and "nb07_" not in page
    for method in ("lowres", "spline", "sinc", "unet", "gan"):
        assert re.search(rf"<td[^>]*>\s*(<p>)?\s*{method}\s*(</p>)?\s*</td>", page), method
    assert "PESQ-WB" in page and "LSD-HF" in page
    glued = _glued("07_results")
    for name in ("nb07_gan_lsd_hf", "nb07_unet_snr_db", "nb07_spline_pesq"):
        assert re.search(rf">\s*{re.escape(glued[name])}\s*<", page), name


def test_gan_chapter_glues_its_comparison_and_the_room_keeps_its_widgets():
    glued = _glued("05_gan_extension")
    assert {"nb05_gan_lsd", "nb05_unet_lsd", "nb05_lsd_ratio", "nb05_gan_pesq"} <= set(glued)
    page = _page("05_gan_extension")
    assert re.search(rf">\s*{re.escape(glued['nb05_gan_lsd_hf'])}\s*<", page)
    room = _page("07_results")
    assert "application/vnd.jupyter.widget-state+json" in room and "ToggleButtonsModel" in room


def test_music_chapter_compares_every_music_and_spectral_model():
    glued = _glued("08_music_super_resolution")
    assert {"nb08_spline_lsd_hf", "nb08_unet_lsd_hf", "nb08_gan_lsd_hf", "nb08_spectral_lsd_hf",
            "nb08_phase_gan_lsd_hf", "nb08_speech_spectral_lsd", "nb08_speech_phase_aware_gan_lsd"} <= set(glued)
    page = _page("08_music_super_resolution")
    # the phase table has the phase-aware generator's row, the results tables name every model
    assert "<td><p>shipped phase-aware</p>" in page and page.count("<td><p>phase-aware GAN</p>") >= 2


def test_markdown_tables_in_outputs_render_as_tables():
    # a table printed with IPython's Markdown() must become <table>, not a paragraph of pipes
    for stem in ("04_unet_baseline", "08_music_super_resolution"):
        page = _page(stem)
        assert "<p>| " not in page, stem
        assert page.count("<table") >= 2, stem


def test_pages_show_the_parameters_once_and_the_executed_notebooks_keep_the_injected_cell():
    for nb in notebooks_in_toc():
        assert "injected-parameters" not in _page(nb.stem), nb.stem
        cells = json.loads((EXECUTED / f"{nb.stem}.ipynb").read_text())["cells"]
        injected = [c for c in cells if "injected-parameters" in c["metadata"].get("tags", [])]
        assert len(injected) == 1 and "remove-cell" in injected[0]["metadata"]["tags"], nb.stem


def test_no_tensorflow_start_up_log_in_the_pages():
    for nb in notebooks_in_toc():
        page = _page(nb.stem)
        for noise in ("absl::InitializeLog", "cpu_feature_guard", "oneDNN custom operations"):
            assert noise not in page, f"{nb.stem}: {noise}"


EVALUATIONS = ROOT / "_build" / "evaluations.jsonl"


def test_no_page_scores_a_model_on_what_it_trained_on():
    # every evaluation a chapter ran appended what it scored (srlib.lineage.record_evaluation, set by tools/book.py)
    records = [json.loads(line) for line in EVALUATIONS.read_text().splitlines()]
    assert len(records) >= 8, "chapters 3-9 score learned models"
    for record in records:
        assert record["overlap"] == {}, record
        assert None not in record["methods"].values(), f"a model whose training data nobody recorded: {record}"
        assert record["unknown_origin"] == 0, f"clips given by name, not by their Clip record: {record}"


def _outputs(stem):
    """(kind, text) of every output of the executed chapter: stream text, and text/plain, text/markdown, text/html."""
    nb = json.loads((EXECUTED / f"{stem}.ipynb").read_text())
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            if o["output_type"] == "stream":
                yield o["name"], "".join(o["text"])
            for mime in ("text/plain", "text/markdown", "text/html"):
                if mime in o.get("data", {}):
                    yield mime, "".join(o["data"][mime])


#: Lines no reader should see: library logs (TensorFlow's C++ and Python loggers, absl) and Python warnings.
LOG_LINE = re.compile(r"^(?:[WEIF]\d{4} \d\d:\d\d|WARNING: All log messages|INFO:tensorflow|WARNING:tensorflow"
                      r"|I tensorflow/|W tensorflow/|E external/)|oneDNN custom operations|cpu_feature_guard"
                      r"|\w+Warning: |warnings\.warn\(", re.M)
#: An absolute path of the machine that built the book: its home, temporary folders, caches, the checkout.
MACHINE_PATH = re.compile(r"(?<![\w.])(?:/tmp/|/root/|/home/\w|/work/|/var/folders/|[\w/]*\.cache/srlib)")


def test_pages_carry_no_library_log_or_warning():
    for nb in notebooks_in_toc():
        for kind, text in _outputs(nb.stem):
            found = LOG_LINE.search(text)
            assert not found, f"{nb.stem}: {kind} output shows {text[max(0, found.start() - 40): found.end() + 80]!r}"


def test_pages_carry_no_path_of_the_machine_that_built_them():
    for nb in notebooks_in_toc():
        for kind, text in _outputs(nb.stem):
            if kind == "text/html":
                text = re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+", "", text)  # embedded audio and images
            found = MACHINE_PATH.search(text)
            assert not found, f"{nb.stem}: {kind} output shows {text[max(0, found.start() - 60): found.end() + 60]!r}"


def _visible_text(page: str) -> str:
    """A page's prose as a reader sees it: no scripts, styles, code blocks, rendered math or tags."""
    page = re.sub(r"<(script|style|pre|code|math)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r'<(span|div) class="math[^"]*">.*?</\1>', " ", page, flags=re.S)  # MathJax's source spans
    return re.sub(r"<[^>]+>", " ", page)


def test_no_raw_math_in_any_page():
    pages = [HTML / "notebooks" / f"{nb.stem}.html" for nb in notebooks_in_toc()] + list((HTML / "book").glob("*.html"))
    for page in pages:
        text = _visible_text(page.read_text())
        found = re.search(r"\$[^$\n]{0,60}\$|\$\$|\\(?:mu|pi|frac|sum|hat|log|mathrm|mathcal|left|right|qquad|cdot)\b",
                          text)
        assert not found, f"{page.name}: raw math {text[max(0, found.start() - 60): found.end() + 60]!r}"
