"""The README's two commands are the ones the project really runs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    return [line.split("#")[0].strip() for line in block.strip().splitlines()]


def test_readme_starts_with_the_two_commands():
    assert _readme_commands() == ["make book", "make test"]


def test_ci_runs_the_readme_test_command():
    lines = [l.strip() for l in (ROOT / ".ci" / "run").read_text().splitlines()]
    commands = [l for l in lines if l and not l.startswith("#") and not l.startswith(("set ", "cd "))]
    assert commands == ["make test"]


def test_requirements_are_exact_pins():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][A-Za-z0-9_.\-]*", line), line
    names = (ROOT / "requirements.txt").read_text()
    assert "tensorflow-cpu==2.21" in names and re.search(r"jupyter-book==1\.", names)


def test_every_public_function_has_a_docstring_with_shapes_or_units():
    import inspect

    import srlib
    from srlib import audio, degrade, interpolate, metrics, spectral

    for mod in (audio, degrade, interpolate, metrics, spectral, srlib.api):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.isfunction(obj):
                doc = inspect.getdoc(obj) or ""
                assert len(doc) > 40, f"{mod.__name__}.{name} needs a docstring"


def test_readme_results_table_matches_the_shipped_metrics():
    import json

    summary = json.loads((ROOT / "srlib" / "weights" / "unet-speech-16k-r4" / "metrics.json").read_text())["summary"]
    text = (ROOT / "README.md").read_text()
    for label, key in [("spline", "spline"), ("sinc", "sinc"), ("U-Net (shipped)", "unet")]:
        row = re.search(rf"^\| {re.escape(label)} \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$", text, re.M)
        assert row, label
        expected = [summary[key][m]["mean"] for m in ("snr_db", "lsd", "lsd_hf")]
        assert [float(v) for v in row.groups()] == [round(v, 2) for v in expected], label
