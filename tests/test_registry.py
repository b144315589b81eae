"""The model registry: one table of kinds, asked by everything else; model cards read without Keras."""

import ast
import json
import subprocess
import sys
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest

from srlib import AudioError, ConfigError, DataSourceError, SrlibError, TrainingError
from srlib.models.card import ModelCard, model_folder, shipped_models
from srlib.models.registry import DEFAULT_KINDS, KINDS, get_kind, kind_names, registered, shipped_aliases

SRLIB = Path(__file__).resolve().parent.parent / "srlib"


def test_error_family():
    for cls in (AudioError, ConfigError, DataSourceError, TrainingError):
        assert issubclass(cls, SrlibError) and issubclass(cls, ValueError)
    assert issubclass(TrainingError, RuntimeError) and not issubclass(ConfigError, AudioError)


def test_registry_names_every_kind_once():
    assert kind_names() == tuple(KINDS) and len(set(kind_names())) == len(KINDS)
    for name, kind in KINDS.items():
        assert kind.name == name and registered(type(kind)) is kind and kind.summary
        assert set(kind.profiles) == {"quick", "full"}
        assert kind.profile("full").model == name
    assert set(DEFAULT_KINDS) <= set(KINDS)
    with pytest.raises(ConfigError, match="model kind: got 'vae'; expected one of unet"):
        get_kind("vae")
    with pytest.raises(ConfigError, match="profile: got 'huge'"):
        get_kind("unet").profile("huge")


def _kind_literals(tree, names):
    """Kind names used to decide something: compared, looked up, matched, or given as a default."""
    def literal(node):
        if isinstance(node, ast.Constant) and node.value in names:
            return [node]
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return [e for e in node.elts if isinstance(e, ast.Constant) and e.value in names]
        return []

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                found += literal(side)
        elif isinstance(node, ast.Subscript):
            found += literal(node.slice)
        elif isinstance(node, ast.MatchValue):
            found += literal(node.value)
        elif isinstance(node, ast.arguments):
            for default in (*node.defaults, *node.kw_defaults):
                found += literal(default) if default is not None else []
        elif isinstance(node, ast.AnnAssign) and node.value is not None:  # dataclass field defaults
            found += literal(node.value)
    return found


def test_no_module_branches_on_a_kind_name():
    """Kinds are dispatched through the registry: no module compares, looks up or defaults to a kind's name."""
    names = set(kind_names())
    offenders = []
    for path in SRLIB.rglob("*.py"):
        if path.name != "registry.py":
            offenders += [f"{path.relative_to(SRLIB)}:{n.lineno} {n.value!r}"
                          for n in _kind_literals(ast.parse(path.read_text()), names)]
    assert not offenders, offenders


def test_the_literal_check_finds_what_it_looks_for():
    tree = ast.parse("def f(kind='unet'):\n    if kind == 'gan' or kind in ('spectral',):\n        return TABLE['unet']")
    assert [n.value for n in _kind_literals(tree, {"unet", "gan", "spectral"})] == ["unet", "gan", "spectral", "unet"]


#: Small architectures for fast tests, by the config.json key of the kind's architecture.
SMALL = {"unet": {}, "spectral": {"filters": [4, 8], "refiner_channels": 4}, "frame": {"channels": 16, "blocks": 2},
         "diffusion": {"channels": 8, "layers": 4, "cycle": 2, "steps": 2, "period": 1024},
         "flow": {"group": 4, "flows": 2, "channels": 8, "layers": 2, "period": 1024}}


def _small_arch(kind, sr_hz=16000, ratio=4):
    """A small architecture of the kind (the tiny U-Net, 4/8 spectral channels, ...) for fast tests."""
    config = replace(kind.profile("quick"), sr_hz=sr_hz, ratio=ratio, preset="tiny", arch=SMALL[kind.arch_key])
    return kind.architecture(config)


def _folder(tmp_path, kind, arch, sr_hz=16000, ratio=4, seed=0):
    """A model folder of the kind with small random weights (an untrained one would be the identity)."""
    import keras

    keras.utils.set_random_seed(seed)  # the initial weights too: the same folder in every run
    network = kind.build(arch)
    rng = np.random.default_rng(seed)
    network.set_weights([w + 0.02 * rng.standard_normal(w.shape).astype(w.dtype) for w in network.get_weights()])
    d = tmp_path / kind.name
    d.mkdir()
    network.save_weights(str(d / "model.weights.h5"))
    (d / "config.json").write_text(json.dumps({"kind": kind.name, "sr_hz": sr_hz, "ratio": ratio,
                                               kind.arch_key: arch.to_dict()}))
    return d


@pytest.mark.parametrize("name", kind_names())
def test_every_kind_loads_from_its_folder_and_chunks_exactly(tmp_path, name):
    from srlib.inference import SRModel

    kind = get_kind(name)
    arch = _small_arch(kind)
    m = SRModel(_folder(tmp_path, kind, arch))
    assert (m.kind, m.model_kind, m.arch) == (name, kind, arch)
    assert m.margin >= kind.reach(arch) and m.margin % m.multiple == 0
    x_lr = (0.1 * np.random.default_rng(1).standard_normal(3000)).astype("float32")
    whole = m.upsample_lr(x_lr)
    assert whole.shape == (12000,) and np.isfinite(whole).all()
    chunked = m.upsample_lr(x_lr, chunk_len=2048)  # several chunks, margins and fades
    if not kind.exact_chunks:  # Griffin-Lim's iterations, FiLM's whole-window modulation: close, not exact
        # (with such random weights, measured over four seeds: TFiLM 0.2-0.6%, AFiLM 0.5-2.5%)
        assert np.sqrt(np.mean((chunked - whole) ** 2) / np.mean(whole**2)) < 3e-2
    else:
        np.testing.assert_allclose(chunked, whole, atol=2e-5)


def test_a_new_kind_needs_only_its_class_and_a_registry_entry(tmp_path, monkeypatch, synthetic_pairs):
    """What adding a kind takes: a ModelKind subclass and one entry; training and loading then just work."""
    from srlib.inference import SRModel
    from srlib.models.unet import UNetKind
    from srlib.train import TrainConfig, train

    class ScaledUNet(UNetKind):
        """A toy kind: the U-Net trained on MSE with another learning rate, under its own name."""

    toy = ScaledUNet(name="toy", arch_key="unet", summary="a toy kind for the test",
                     profiles={"quick": dict(preset="tiny", patch_len=1024, stride=1024, epochs=1)})
    monkeypatch.setitem(KINDS, "toy", toy)
    config = replace(toy.profile("quick"), batch_size=8)
    train(config, tmp_path / "toy", verbose=0, evaluate=False, pairs=(synthetic_pairs(16), synthetic_pairs(8, seed=1)))
    m = SRModel(tmp_path / "toy")
    assert m.kind == "toy" and m.model_kind is toy and m.card.history("loss")["loss"]
    assert m.upsample_lr(np.zeros(300, "float32")).shape == (1200,)
    assert isinstance(config, TrainConfig)


def test_model_card_reads_a_shipped_folder_without_keras():
    code = ("import sys; from srlib.models.card import ModelCard, shipped_models; from srlib.api import auto_method; "
            "from srlib.cli import main; card = ModelCard.read(shipped_models()['unet-speech-16k-r4']); "
            "assert auto_method(4000, 16000) == 'frame-speech-16k-4to12k'; main(['info']); "
            "import numpy as np, srlib; y, sr = srlib.upsample(np.ones(4000, 'float32') * 0.1, 4000, 4); "
            "assert sr == 16000 and y.shape == (16000,); "
            "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules, 'Keras was imported'; "
            "assert 'librosa' not in sys.modules, 'librosa (a second of start-up) was imported'")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "model kinds (srlib train --model)" in res.stdout and "model unet-speech-16k-r4: 4000 Hz" in res.stdout


def test_model_card_fields():
    card = ModelCard.read(shipped_models()["gan-speech-16k-r4"])
    assert (card.name, card.kind, card.sr_hz, card.ratio, card.low_sr_hz) == ("gan-speech-16k-r4", "gan", 16000, 4, 4000)
    history = card.history("stft", "val_stft")
    assert len(history["val_stft"]) == card.train["epochs"] == len(card.log)
    assert card.command.startswith("srlib train --model gan")
    assert card.score("lsd") < card.score("lsd", "spline")
    assert card.serves(4000, 16000) and card.serves(3000, 16000)
    assert card.serves(4000, 8000)  # the model's 16 kHz output resampled: the 2-4 kHz band is still its work
    assert card.serves(4000, 22050)  # above its rate too: its 16 kHz output resampled, nothing thrown away
    assert not card.serves(8000, 16000) and not card.serves(4000, 7000)
    assert "gan-speech-16k-r4: gan, 4000 Hz -> 16000 Hz" in card.describe()
    assert "test SNR" in card.summary_line()


def test_model_card_and_folder_errors(tmp_path):
    with pytest.raises(AudioError, match="not a model folder"):
        ModelCard.read(tmp_path)
    (tmp_path / "model.weights.h5").write_bytes(b"")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(AudioError, match="not a model configuration"):
        ModelCard.read(tmp_path)
    with pytest.raises(AudioError, match="neither a shipped model"):
        model_folder("no-such-model")
    assert model_folder("unet") == shipped_models()[shipped_aliases()["unet"]]


def test_the_default_model_fits_the_rates_and_the_content(tmp_path, monkeypatch):
    import srlib.models.card as card_module
    from srlib.api import auto_method

    def folder(name, kind, sr_hz, ratio, corpus):
        (tmp_path / name).mkdir()
        (tmp_path / name / "model.weights.h5").write_bytes(b"")
        (tmp_path / name / "config.json").write_text(json.dumps(
            {"kind": kind, "sr_hz": sr_hz, "ratio": ratio, "train": {"corpus": corpus}}))

    folder(get_kind("frame").shipped, "frame", 16000, 4, "recorded-speech")
    folder("frame-speech-16k-r2", "frame", 16000, 2, "recorded-speech")
    folder("frame-music-44k-r4", "frame", 44100, 4, "recorded-music")
    folder("unet-speech-16k-r4", "unet", 16000, 4, "speech")
    monkeypatch.setattr(card_module, "WEIGHTS_DIR", tmp_path)
    assert auto_method(4000, 16000) == auto_method(3000, 16000) == "frame"  # the tightest fit: its band starts at 2 kHz
    assert auto_method(8000, 16000) == auto_method(6000, 16000) == "frame-speech-16k-r2"
    assert auto_method(11025, 44100) == auto_method(4000, 16000, "music") == "frame-music-44k-r4"
    assert auto_method(11025, 48000) == "frame-music-44k-r4"  # its 44.1 kHz output resampled to 48 kHz
    assert auto_method(12000, 16000) == auto_method(22050, 44100) == auto_method(12000, 16000, "music") == "sinc"
    with pytest.raises(ConfigError, match="content"):
        auto_method(4000, 16000, "noise")
    # a versatile model serves the rates between and above the one-rate models', which keep theirs
    versatile = "frame-speech-16k-4to12k"
    folder(versatile, "frame", 16000, 4, "recorded-speech")
    config = json.loads((tmp_path / versatile / "config.json").read_text())
    (tmp_path / versatile / "config.json").write_text(json.dumps({**config, "input_rates_hz": [4000, 12000]}))
    assert auto_method(4000, 16000) == auto_method(3000, 16000) == "frame"
    assert auto_method(8000, 16000) == "frame-speech-16k-r2"
    assert auto_method(6000, 16000) == auto_method(11025, 16000) == auto_method(12000, 16000) == versatile
    assert auto_method(11025, 22050) == versatile  # above its output rate: its 16 kHz output is resampled
    assert auto_method(16000, 22050) == "sinc"  # above its range: its band would be thrown away
    # calibrated (its band gain chosen on validation clips), it is preferred at every rate it serves
    (tmp_path / versatile / "config.json").write_text(json.dumps(
        {**config, "input_rates_hz": [4000, 12000], "calibration": {"band_gain": 0.35}}))
    assert auto_method(4000, 16000) == auto_method(3000, 16000) == auto_method(8000, 16000) == versatile
    assert auto_method(11025, 44100) == "frame-music-44k-r4"


def test_the_kinds_sit_below_training():
    """A kind's profiles are TrainConfig values (srlib.models.train_config); no srlib.models module imports
    srlib.train, which runs the kinds (the import loop kind -> train -> evaluate -> ... -> kind is gone)."""
    offenders = []
    for path in (SRLIB / "models").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] == "train" and (
                    node.level == 2 or (node.module or "").startswith("srlib")):
                offenders.append(f"{path.name}:{node.lineno}")
    assert not offenders, offenders
    from srlib.models.train_config import TrainConfig
    from srlib.train import TrainConfig as Same, resolved

    assert Same is TrainConfig and resolved(TrainConfig()).model == kind_names()[0]


def test_calibration_asks_the_kind_what_it_can_tune():
    """Only kinds with tunables are calibrated, and each says how to read its calibration (the card prints it)."""
    tunable = [name for name in kind_names() if get_kind(name).tunables]
    assert tunable and all(f.name in {"band_gain", "edge_gain", "upper_gain", "image_gain", "band_gains"}
                           for name in tunable for f in fields(get_kind(name).arch_class)
                           if f.name in get_kind(name).tunables)
    text = get_kind(tunable[0]).calibration_text({"band_gain": 0.25, "edge_gain": 1.0, "n_clips": 9, "split": "val"})
    assert text == "calibrated (srlib calibrate): band_gain 0.25, chosen on 9 val clips"
    heard = get_kind(tunable[0]).calibration_text({"rule": "listener", "band_gain": 0.5, "upper_gain": 0.1,
                                                   "n_clips": 9, "split": "val"})
    assert heard == "calibrated (srlib calibrate --rule listener): band_gain 0.5 (upper 0.1), chosen on 9 val clips"
    assert get_kind(kind_names()[0]).calibration_text({"n_clips": 9, "split": "val"}).endswith("on 9 val clips")


def test_only_the_model_card_writes_config_json():
    # a model folder's config.json has one writer (srlib.models.card.ModelCard: create, update, write_metrics)
    import re

    writes = re.compile(r"write_text|json\.dump\(|open\(")
    offenders = []
    for path in sorted(SRLIB.rglob("*.py")):
        if path.relative_to(SRLIB).as_posix() == "models/card.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "config.json" in line and writes.search(line):
                offenders.append(f"srlib/{path.relative_to(SRLIB).as_posix()}:{number}: {line.strip()}")
    assert not offenders, "config.json written outside ModelCard:\n" + "\n".join(offenders)


def _srlib_imports() -> dict:
    """module -> the srlib modules it imports anywhere in its body (function-local imports included), except in
    an ``if __name__ == "__main__"`` block: an entry point (``python -m srlib.bench``) is not imported by anyone."""
    modules = {".".join(p.relative_to(SRLIB.parent).with_suffix("").parts).removesuffix(".__init__"): p
               for p in SRLIB.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        entry = {id(n) for node in tree.body if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)
                 for n in ast.walk(node)}
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(tree):
            if id(node) in entry:
                continue
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.add(full if full in modules else base)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.Call) and ast.unparse(node.func) == "lazy":  # srlib.extras.lazy("srlib.x")
                targets.add(node.args[0].value)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def _function_local_imports() -> list:
    """``path:line`` of every import of an srlib module inside a function (``__main__`` blocks aside)."""
    found = []
    for path in sorted(SRLIB.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found += [f"{path.relative_to(SRLIB.parent)}:{node.lineno}" for node in ast.walk(function)
                          if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("srlib"))]
    return found


def test_imports_sit_at_the_top():
    """A hidden import hides a loop (STYLE.md): srlib's own modules are imported at the top of a module, or
    through :func:`srlib.extras.lazy` where Keras begins (which the cycle check above counts as an import)."""
    assert not _function_local_imports()


def test_the_command_line_starts_without_keras():
    """``srlib upsample`` and ``srlib info`` load no Keras, TensorFlow, Matplotlib or scipy.signal (over half a
    second): those begin behind :func:`srlib.extras.lazy` (or an optional dependency's own import)."""
    code = ("import sys, srlib.cli, srlib.train, srlib.evaluate, srlib.calibration, srlib.bench; "
            "print(sorted(m for m in ('keras', 'tensorflow', 'matplotlib', 'scipy.signal') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_no_import_cycle_outside_the_models_package():
    graph = _srlib_imports()

    def reaches(start, goal, seen=()):
        return any(nxt == goal or (nxt not in seen and reaches(nxt, goal, (*seen, nxt))) for nxt in graph[start])

    outside = [m for m in graph if not m.startswith("srlib.models")]
    cyclic = sorted(m for m in outside if reaches(m, m))
    assert not cyclic, f"modules on an import cycle: {cyclic}"


def _method_questions(tree) -> list:
    """The comparisons in ``tree`` that ask what kind of name a method is: ``== "lowres"``, ``in METHODS``,
    ``in shipped_models()``..."""
    asks = {"METHODS", "LOWRES", "shipped_models()", "shipped_aliases()"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if (any(isinstance(s, ast.Constant) and s.value == "lowres" for s in sides)
                    or any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops)
                    and any(ast.unparse(s) in asks for s in node.comparators)):
                found.append(node)
    return found


def test_only_methods_py_tells_a_method_name_apart():
    """"Is it lowres, a baseline or a model?" is asked in srlib/methods.py alone."""
    offenders = [f"{path.relative_to(SRLIB.parent)}:{node.lineno}: {ast.unparse(node)}"
                 for path in sorted(SRLIB.rglob("*.py")) if path.name != "methods.py"
                 for node in _method_questions(ast.parse(path.read_text()))]
    assert not offenders, offenders


def test_the_method_question_check_finds_what_it_looks_for():
    code = 'a = name == "lowres"\nb = name in METHODS\nc = name not in shipped_models()\nd = name == "sinc"\n'
    assert [n.lineno for n in _method_questions(ast.parse(code))] == [1, 2, 3]


def test_argparse_only_in_the_command_line():
    users = sorted(str(p.relative_to(SRLIB.parent)) for p in SRLIB.rglob("*.py") if "argparse" in p.read_text())
    assert users == ["srlib/cli.py"], users


def test_nothing_below_reaches_up_to_the_runners():
    """The floors: the front doors (the package's face, the command line, the bench) run training,
    calibration and evaluation; training, calibration and the oracles run evaluations; nothing lower imports them."""
    graph = _srlib_imports()
    allowed = {"srlib.train": {"srlib.cli", "srlib.bench"},
               "srlib.calibration": {"srlib.cli"},
               "srlib.evaluate": {"srlib.cli", "srlib.bench", "srlib.train", "srlib.calibration", "srlib.oracles"},
               "srlib.api": {"srlib", "srlib.cli", "srlib.bench", "srlib.report"}}
    upward = {target: sorted(m for m, deps in graph.items() if target in deps and m not in front)
              for target, front in allowed.items()}
    assert not any(upward.values()), upward
