"""The README's two commands are the ones the project really runs."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    return [line.split("#")[0].strip() for line in block.strip().splitlines()]


def test_readme_starts_with_the_two_commands():
    assert _readme_commands() == ["make book", "make test"]


def test_ci_runs_the_readme_test_command():
    lines = [l.strip() for l in (ROOT / ".ci" / "run").read_text().splitlines()]
    commands = [l for l in lines if l and not l.startswith("#") and not l.startswith(("set ", "cd ", "trap "))]
    assert commands == ['export SRLIB_CACHE="$(mktemp -d)"', "make test"]  # the test command, with empty caches


def test_requirements_are_exact_pins():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][A-Za-z0-9_.\-]*", line), line
    names = (ROOT / "requirements.txt").read_text()
    assert "tensorflow-cpu==2.21" in names and re.search(r"jupyter-book==1\.", names)


def test_every_public_function_has_a_docstring_with_shapes_or_units():
    """A public function that takes signals or rates says their shapes or units (samples, Hz, s, dB)."""
    import inspect

    import srlib
    from srlib import audio, chunking, degrade, evaluate, interpolate, metrics, spectral

    units = re.compile(r"shape \(|\b(k?Hz|samples?|seconds?|dB|dBFS|ms)\b|\w_(hz|s)\b")
    signals = {"x", "y", "x_lr", "x_in", "x_hr", "reference", "estimate", "magnitude", "n_samples"}
    checked = 0
    for mod in (audio, chunking, degrade, evaluate, interpolate, metrics, spectral, srlib.api):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if not inspect.isfunction(obj):
                continue
            doc = inspect.getdoc(obj) or ""
            assert len(doc) > 40, f"{mod.__name__}.{name} needs a docstring"
            params = set(inspect.signature(obj).parameters)
            if params & signals or any(p.endswith(("_hz", "_s", "_samples")) for p in params):
                checked += 1
                assert units.search(doc), f"{mod.__name__}.{name}: the docstring names no shape or unit"
    assert checked > 20


def test_readme_frame_table_matches_its_held_out_metrics():
    import json

    frame = json.loads((ROOT / "srlib" / "weights" / "frame-speech-16k-r4" / "metrics.json").read_text())
    text = (ROOT / "README.md").read_text()
    assert f"({frame['n_clips']:,} clips" in text
    versatile = json.loads((ROOT / "srlib" / "weights" / "frame-speech-16k-4to12k" / "metrics.json").read_text())
    keys = ("snr_db", "lsd", "lsd_hf", "pesq", "stoi")
    for method in ("spline", "sinc"):  # the versatile model's card scored the same clips the same way
        # (to the last few digits: a card re-scored later sums 2,167 clips' LSD in another order of library calls)
        assert [versatile["summary"][method][m]["mean"] for m in keys] == pytest.approx(
            [frame["summary"][method][m]["mean"] for m in keys], rel=1e-6)
    rows = [("spline (recorded)", frame, "spline"), ("sinc (recorded)", frame, "sinc"),
            ("frame, 4 kHz only", frame, "frame"), ("frame, 4-12 kHz (default)", versatile, "frame")]
    for label, metrics, key in rows:
        row = re.search(rf"^\| {re.escape(label)} \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$", text, re.M)
        assert row, label
        expected = [metrics["summary"][key][m]["mean"] for m in keys]
        assert [float(v) for v in row.groups()] == [round(v, 2) for v in expected], label


def test_readme_results_table_matches_the_shipped_metrics():
    import json

    weights = ROOT / "srlib" / "weights"
    gan = json.loads((weights / "gan-speech-16k-r4" / "metrics.json").read_text())
    unet = json.loads((weights / "unet-speech-16k-r4" / "metrics.json").read_text())["summary"]
    frame = json.loads((weights / "frame-speech-16k-r4" / "metrics.json").read_text())
    text = (ROOT / "README.md").read_text()
    keys = ("snr_db", "lsd", "lsd_hf")
    # the U-Net scored by its own run and by the GAN's run (the same network, clips and inputs) agree,
    # and the GAN's run scored the clips the frame model's did (the README's rows share one table)
    assert [round(unet["unet"][k]["mean"], 2) for k in keys] == [round(gan["summary"]["unet"][k]["mean"], 2) for k in keys]
    assert gan["n_clips"] == frame["n_clips"]
    assert all(gan["summary"][m] == frame["summary"][m] for m in ("spline", "sinc"))
    for label, key in [("U-Net (shipped)", "unet"), ("GAN (shipped)", "gan")]:
        row = re.search(rf"^\| {re.escape(label)} \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$", text, re.M)
        assert row, label
        expected = [gan["summary"][key][m]["mean"] for m in ("snr_db", "lsd", "lsd_hf", "pesq", "stoi")]
        assert [float(v) for v in row.groups()] == [round(v, 2) for v in expected], label


def test_every_notebook_starts_with_the_same_setup_cell_pointing_at_the_repository():
    import json

    import yaml

    from tools.book import notebooks_in_toc, setup_cell

    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    expected = setup_cell()
    assert f"git+{url}" in expected
    for nb_path in notebooks_in_toc():
        code = [c for c in json.loads(nb_path.read_text())["cells"] if c["cell_type"] == "code"]
        assert "".join(code[0]["source"]) == expected, nb_path.name
        assert "setup" in code[0]["metadata"]["tags"] and "parameters" in code[1]["metadata"]["tags"], nb_path.name


def test_binder_and_pages_workflow_build_what_the_makefile_builds():
    import yaml

    apt = (ROOT / "binder" / "apt.txt").read_text().split()
    script = (ROOT / "scripts" / "install-system-deps.sh").read_text()
    assert apt and all(pkg in script for pkg in apt)
    flow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    steps = flow["jobs"]["build"]["steps"]
    assert any("make book PROFILE=full" in s.get("run", "") for s in steps)
    assert any(s.get("with", {}).get("path") == "_build/html" for s in steps)


def test_every_shipped_models_command_reproduces_its_training_config():
    # command.txt is the command to re-run: under today's profiles it must give the config the model trained with
    import json
    import shlex
    from dataclasses import asdict

    from srlib.cli import build_parser, train_config
    from srlib.inference import shipped_models

    for name, folder in shipped_models().items():
        argv = shlex.split((folder / "command.txt").read_text())
        args = build_parser().parse_args(argv[1:])
        recorded = json.loads((folder / "config.json").read_text())["train"]
        now = asdict(train_config(args))
        differ = {k: (recorded[k], now[k]) for k in recorded.keys() & now.keys() if recorded[k] != now[k]}
        assert not differ, f"{name}: command.txt now trains with other settings (recorded, now): {differ}"


def test_every_shipped_model_carries_its_provenance_and_is_documented():
    import json

    from srlib.inference import SRModel, shipped_models

    readme = (ROOT / "srlib" / "weights" / "README.md").read_text()
    models = shipped_models()
    assert {"unet-speech-16k-r4", "gan-speech-16k-r4", "unet-music-44k-r4"} <= set(models)
    for name, folder in models.items():
        assert {"command.txt", "config.json", "log.csv", "metrics.json", "metrics.md"} <= {p.name for p in folder.iterdir()}, name
        assert (folder / "command.txt").read_text().startswith("srlib train "), name
        assert f"## `{name}`" in readme, f"{name} is not described in srlib/weights/README.md"
        m = SRModel(folder)
        metrics = json.loads((folder / "metrics.json").read_text())
        assert m.kind in metrics["summary"] and metrics["sr_hz"] == m.sr_hz, name
        # the training log has one row per epoch the config asked for (a resumed run included)
        rows = [r for r in (folder / "log.csv").read_text().splitlines()[1:] if r[:1].isdigit()]
        assert len(rows) == m.config["train"]["epochs"], name


def test_solution_cells_are_collapsed_in_jupyterlab_and_announced():
    """The book hides solutions with the hide-cell tag; JupyterLab reads the notebook format's own metadata."""
    import json

    from tools.book import notebooks_in_toc

    for nb_path in notebooks_in_toc():
        cells = json.loads(nb_path.read_text())["cells"]
        solutions = [i for i, c in enumerate(cells) if c["cell_type"] == "code"
                     and "hide-cell" in c["metadata"].get("tags", []) and "setup" not in c["metadata"]["tags"]]
        assert solutions, f"{nb_path.name} has no solution cell"
        for i in solutions:
            assert "".join(cells[i]["source"]).startswith("# Solution"), nb_path.name
            assert cells[i]["metadata"].get("jupyter") == {"source_hidden": True, "outputs_hidden": True}, nb_path.name
            assert "Show the solution" in "".join(cells[i - 1]["source"]), nb_path.name


def test_make_lab_starts_as_root_too():
    makefile = (ROOT / "Makefile").read_text()
    lab = makefile[makefile.index("\nlab:"):].split("\n\n")[0]
    assert "--allow-root" in lab and "id -u" in lab


def test_each_chapter_tells_a_jupyterlab_reader_what_only_the_book_renders():
    """Citations (no bibliography in Lab) and glued figures (filled in by the book build) read as names in
    JupyterLab: a note that only Lab shows (tag remove-cell) says so in plain words, after the title."""
    import json
    import re

    from tools.book import notebooks_in_toc

    for nb_path in notebooks_in_toc():
        cells = json.loads(nb_path.read_text())["cells"]
        text = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        note = cells[1]
        assert note["cell_type"] == "markdown" and {"remove-cell", "lab-note"} <= set(note["metadata"]["tags"]), \
            nb_path.name
        said = "".join(note["source"])
        if "{cite" in text:
            assert "Citations show as their keys" in said, nb_path.name
        glued = re.findall(r"\{glue:text\}`(\w+)`", text)
        assert ("book writes into the text" in said) == bool(glued), nb_path.name
