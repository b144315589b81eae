"""A plain install: the tool runs without the extras, and what needs one says which, in one line."""

import os
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import numpy as np
import pytest

from srlib import save
from srlib.extras import EXTRA_OF, MissingDependencyError, lazy, missing_dependency

ROOT = Path(__file__).resolve().parents[1]
BLOCKED = ("ai_edge_litert", "av", "keras", "tensorflow", "pesq", "pystoi", "music21", "pretty_midi", "IPython", "ipywidgets", "librosa",
           "matplotlib")


def test_every_optional_module_names_an_extra_that_installs_it():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    dists = packages_distributions()

    def norm(name):
        return re.sub(r"[-_.]+", "-", name).lower()

    for module, extra in EXTRA_OF.items():
        assert extra in extras, module
        wanted = {norm(re.split(r"[<>=!~\[; ]", req)[0]) for req in extras[extra]}
        if module in dists:  # installed here: one of the distributions that provide it is in that extra
            assert wanted & {norm(d) for d in dists[module]}, (module, dists[module])


def test_missing_dependency_names_the_extra_and_ignores_other_modules():
    err = missing_dependency(ModuleNotFoundError("No module named 'pesq'", name="pesq"))
    assert isinstance(err, MissingDependencyError) and isinstance(err, ImportError)
    assert 'pip install "srlib[perceptual]"' in str(err)
    assert missing_dependency(ModuleNotFoundError("No module named 'numpy'", name="numpy")) is None


@pytest.fixture
def plain(tmp_path):
    """Run the CLI where every optional dependency fails to import, as on a plain install."""
    shadow = tmp_path / "shadow"
    for name in BLOCKED:
        (shadow / name).mkdir(parents=True)
        (shadow / name / "__init__.py").write_text(
            f"raise ModuleNotFoundError({'No module named ' + repr(name)!r}, name={name!r})\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(shadow), str(ROOT)])}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "srlib", *args], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=300)

    return run


def test_the_plain_install_runs_the_default_model_and_says_which_extra_the_rest_needs(plain, tmp_path):
    rng = np.random.default_rng(0)
    t = np.arange(8000) / 4000
    save(tmp_path / "in.wav", (0.3 * np.sin(2 * np.pi * 220 * t) + 0.01 * rng.standard_normal(8000)), 4000)
    done = plain("upsample", "in.wav", "out.wav", "--ratio", "4", "-q")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.wav").exists()
    assert plain("info").returncode == 0
    assert plain("evaluate", "in.wav", "--sr", "4000", "--ratio", "2", "-q").returncode == 0  # LSD in NumPy
    from srlib.audio import resample

    call = resample(resample(rng.standard_normal(32000).astype("float32") * 0.1, 16000, 8000), 8000, 16000)
    save(tmp_path / "call.wav", call, 16000)  # a phone's band at 16 kHz: restored at its own rate
    done = plain("upsample", "call.wav", "wide.wav")
    assert done.returncode == 0 and "from a detected 3." in done.stderr, done.stderr
    (tmp_path / "song.m4a").write_bytes(b"\x00\x00\x00\x20ftypM4A " + bytes(2000))  # refused before it is opened
    for args, extra in [(("upsample", "in.wav", "u.wav", "--ratio", "4", "--model", "spectral-gan-speech-16k-r4", "-q"), "models"),
                        (("upsample", "in.wav", "u.wav", "--ratio", "4", "--model", "gan", "-q"), "litert"),
                        (("upsample", "song.m4a", "u.wav", "-q"), "formats"),
                        (("train", "--model", "frame", "--profile", "quick", "--out", "run", "-q"), "models"),
                        (("evaluate", "in.wav", "--sr", "4000", "--ratio", "2", "--perceptual", "-q"), "perceptual"),
                        (("report", "in.wav", "-o", "r.html", "--target-sr", "16000", "--no-dnsmos", "-q"), "plots")]:
        failed = plain(*args)
        assert failed.returncode == 1, (args, failed.stderr)
        assert "Traceback" not in failed.stderr and f'pip install "srlib[{extra}]"' in failed.stderr, args
        assert len(failed.stderr.strip().splitlines()) == 1, failed.stderr
    assert not (tmp_path / "u.wav").exists() and not (tmp_path / "run").exists()


def test_with_litert_alone_the_unet_and_gan_run_without_tensorflow(tmp_path):
    """``srlib[litert]``: the U-Net's and the GAN's LiteRT copies serve where Keras is missing."""
    pytest.importorskip("ai_edge_litert")
    shadow = tmp_path / "shadow"
    for name in ("keras", "tensorflow"):
        (shadow / name).mkdir(parents=True)
        (shadow / name / "__init__.py").write_text(f"raise ModuleNotFoundError(name={name!r})\n")
    save(tmp_path / "in.wav", 0.3 * np.sin(2 * np.pi * 220 * np.arange(8000) / 4000), 4000)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(shadow), str(ROOT)])}
    for model in ("unet", "gan"):
        done = subprocess.run([sys.executable, "-m", "srlib", "upsample", "in.wav", f"{model}.wav", "--ratio", "4",
                               "--model", model, "-q"], capture_output=True, text=True, env=env, cwd=tmp_path,
                              timeout=300)
        assert done.returncode == 0 and (tmp_path / f"{model}.wav").exists(), done.stderr


def test_the_wheel_holds_the_package_and_its_weights_and_runs_alone(tmp_path):
    """``pip wheel`` of the repository; installed alone (no extras) into an empty folder, it upsamples a file."""
    import zipfile

    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                            "-w", str(tmp_path / "dist"), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("srlib-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.split("/")[0] in ("notebooks", "tests", "tools", "book", "scripts")]
    for folder in (ROOT / "srlib" / "weights").iterdir():
        if folder.is_dir():
            for name in ("config.json", "model.weights.h5", "metrics.json", "per_clip.json.gz", "command.txt"):
                assert f"srlib/weights/{folder.name}/{name}" in names, (folder.name, name)
    target = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                                str(wheel)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    shadow = tmp_path / "shadow"
    for name in BLOCKED:
        (shadow / name).mkdir(parents=True)
        (shadow / name / "__init__.py").write_text(f"raise ModuleNotFoundError(name={name!r})\n")
    save(tmp_path / "in.wav", 0.3 * np.sin(2 * np.pi * 220 * np.arange(4000) / 4000), 4000)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(shadow), str(target)])}
    code = "import srlib, sys; print(srlib.__file__); sys.exit(srlib.cli.main(['upsample', 'in.wav', 'out.wav', '--ratio', '4']))"
    done = subprocess.run([sys.executable, "-c", "import srlib.cli; " + code], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(str(target)) and (tmp_path / "out.wav").exists()


def test_lazy_loads_a_module_on_first_attribute_access(tmp_path, monkeypatch):
    (tmp_path / "srlib_lazy_probe.py").write_text("LOADED = True\nimport sys\nsys.modules[__name__].touched = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "srlib_lazy_probe", raising=False)
    module = lazy("srlib_lazy_probe")
    assert "srlib_lazy_probe" not in sys.modules  # nothing ran yet
    assert module.LOADED and module.touched == 1
    assert lazy("srlib_lazy_probe") is sys.modules["srlib_lazy_probe"]
    with pytest.raises(ModuleNotFoundError, match="srlib_no_such_module"):
        lazy("srlib_no_such_module")
