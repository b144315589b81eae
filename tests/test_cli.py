import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from srlib import load, save
from srlib.cli import main
from srlib.errors import ConfigError


def test_help_runs():
    out = subprocess.run([sys.executable, "-m", "srlib", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "upsample" in out.stdout and "evaluate" in out.stdout


def test_upsample_file_keeps_channels_and_subtype(tmp_path, sine):
    x = np.stack([sine(300, 8000), sine(500, 8000)])
    sf.write(tmp_path / "in.wav", x.T, 8000, subtype="PCM_24")
    assert main(["upsample", str(tmp_path / "in.wav"), str(tmp_path / "out.wav"), "--ratio", "2", "-q"]) == 0
    info = sf.info(tmp_path / "out.wav")
    assert (info.samplerate, info.channels, info.frames, info.subtype) == (16000, 2, 16000, "PCM_24")


def test_upsample_refuses_overwrite_and_same_path(tmp_path, sine, capsys):
    save(tmp_path / "in.wav", sine(300, 8000), 8000)
    save(tmp_path / "out.wav", sine(300, 8000), 8000)
    before = (tmp_path / "out.wav").read_bytes()
    assert main(["upsample", str(tmp_path / "in.wav"), str(tmp_path / "out.wav"), "--ratio", "2", "-q"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "out.wav").read_bytes() == before
    assert main(["upsample", str(tmp_path / "in.wav"), str(tmp_path / "in.wav"), "--ratio", "2", "--overwrite", "-q"]) == 1
    assert "is the input" in capsys.readouterr().err
    assert main(["upsample", str(tmp_path / "in.wav"), str(tmp_path / "out.wav"), "--ratio", "2", "--overwrite", "-q"]) == 0
    assert load(tmp_path / "out.wav")[1] == 16000


def test_target_rate_not_a_multiple(tmp_path, sine):
    save(tmp_path / "in.wav", sine(300, 16000), 16000)
    assert main(["upsample", str(tmp_path / "in.wav"), str(tmp_path / "o.wav"), "--target-sr", "44100", "-q"]) == 0
    y, sr = load(tmp_path / "o.wav")
    assert sr == 44100 and len(y) == 44100


def test_a_target_above_the_models_rate_gets_its_output_resampled_and_says_so(tmp_path, capsys):
    from scipy.signal import welch

    from srlib.api import method_text

    t = np.arange(16000) / 16000  # a tone of 35 harmonics of 220 Hz: a band up to 7.7 kHz
    save(tmp_path / "in.wav", 0.2 * sum(np.sin(2 * np.pi * 220 * k * t + k) / k for k in range(1, 36)), 16000)
    assert main(["upsample", str(tmp_path / "in.wav"), str(tmp_path / "o.wav"), "--target-sr", "48000"]) == 0
    err = capsys.readouterr().err  # music by default above 24 kHz; its 44.1 kHz model, not sinc
    assert "(frame-music-44k-9to32k, its 44100 Hz output resampled to 48000 Hz)" in err
    assert main(["upsample", str(tmp_path / "in.wav"), str(tmp_path / "s.wav"), "--target-sr", "48000", "-q",
                 "--model", "sinc"]) == 0
    (y, sr), (s, _) = load(tmp_path / "o.wav"), load(tmp_path / "s.wav")
    assert sr == 48000 and len(y) == len(s) == 48000
    f, p_model = welch(y, sr, nperseg=1024)
    p_sinc = welch(s, sr, nperseg=1024)[1]
    added, above = (f > 9000) & (f < 20000), f > 22500
    assert p_model[added].sum() > 10 * p_sinc[added].sum()  # the model's band, where sinc has next to none
    assert p_model[above].sum() < 1e-9 * p_model.sum()  # above 22.05 kHz, nothing: resampled from 44.1 kHz
    assert method_text("sinc", 48000) == "sinc"
    assert method_text("frame-music-44k-9to32k", 44100) == "frame-music-44k-9to32k"


def test_folder_mode_continues_past_bad_files(tmp_path, sine, capsys):
    src = tmp_path / "in"
    src.mkdir()
    save(src / "good.wav", sine(300, 8000), 8000)
    (src / "bad.wav").write_bytes(b"not audio at all")
    code = main(["upsample", str(src), "--output-dir", str(tmp_path / "out"), "--ratio", "2"])
    err = capsys.readouterr().err
    assert code == 1 and "FAILED" in err and "bad.wav" in err
    assert "1 of 2 files written to" in err and "(frame-speech-16k-4to12k: 1)" in err  # the failed file not counted
    assert (tmp_path / "out" / "good.wav").exists() and not (tmp_path / "out" / "bad.wav").exists()


def test_usage_errors_exit_2(tmp_path):
    with pytest.raises(SystemExit) as info:
        main(["upsample", "a.wav", "b.wav", "--ratio", "2", "--target-sr", "16000"])  # both
    assert info.value.code == 2


def test_missing_input_is_a_clear_error(tmp_path, capsys):
    assert main(["upsample", str(tmp_path / "nope.wav"), str(tmp_path / "o.wav"), "--ratio", "2"]) == 1
    assert "no such file" in capsys.readouterr().err
    assert not (tmp_path / "o.wav").exists()


def test_evaluate_prints_a_table(tmp_path, capsys):
    rng = np.random.default_rng(0)
    save(tmp_path / "ref.wav", 0.1 * rng.standard_normal(16000), 16000)
    assert main(["evaluate", str(tmp_path), "--ratio", "4", "-q", "--figure", str(tmp_path / "f.png")]) == 0
    out = capsys.readouterr().out
    assert "| spline |" in out and "LSD-HF" in out
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["evaluate", str(tmp_path / "ref.wav"), "-q", "--figure", str(tmp_path / "f.png")]) == 1  # no overwrite


def test_evaluate_at_any_input_rate(tmp_path, capsys):
    rng = np.random.default_rng(0)
    save(tmp_path / "ref.wav", 0.1 * rng.standard_normal(16000), 16000)
    assert main(["evaluate", str(tmp_path), "--input-sr", "6000", "--methods", "lowres", "sinc", "frame", "-q"]) == 0
    out = capsys.readouterr().out
    assert "| lowres |" in out and "| sinc |" in out and "| frame |" not in out  # frame takes 4 kHz input at most
    assert main(["evaluate", str(tmp_path), "--input-sr", "4000", "--methods", "frame", "-q"]) == 0
    assert "| frame |" in capsys.readouterr().out


def test_upsample_with_the_gan_and_info_lists_both_models(tmp_path, sine, capsys):
    save(tmp_path / "in.wav", sine(300, 4000), 4000)
    assert main(["upsample", str(tmp_path / "in.wav"), str(tmp_path / "gan.wav"), "--ratio", "4", "--model", "gan",
                 "-q"]) == 0
    assert main(["upsample", str(tmp_path / "in.wav"), str(tmp_path / "unet.wav"), "--ratio", "4", "--model", "unet",
                 "-q"]) == 0
    y_gan, sr = load(tmp_path / "gan.wav")
    y_unet, _ = load(tmp_path / "unet.wav")
    assert sr == 16000 and y_gan.shape == y_unet.shape == (4 * 4000,)
    assert not np.allclose(y_gan, y_unet)  # two different networks
    capsys.readouterr()
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "model gan-speech-16k-r4: 4000 Hz -> 16000 Hz" in out and "model unet-speech-16k-r4" in out


def test_info_with_a_model_prints_its_card_and_calibration(capsys):
    assert main(["info", "frame-music-44k-9to32k"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("frame-music-44k-9to32k: frame, 8820-32000 Hz -> 44100 Hz")
    assert "band gain by input rate: from 8820 Hz " in out and "; from 26205 Hz " in out  # its four spans
    assert "command: srlib train" in out
    assert "model frame-music-44k-9to32k: " in out  # and its held-out scores
    assert main(["info", "no-such-model"]) != 0
    assert "neither a shipped model" in capsys.readouterr().err


def test_evaluate_perceptual_adds_pesq_and_stoi(tmp_path, capsys):
    from srlib.data.examples import speech_example

    save(tmp_path / "ref.wav", speech_example(sr_hz=16000)[: 3 * 16000], 16000)
    assert main(["evaluate", str(tmp_path / "ref.wav"), "--methods", "spline", "gan", "--perceptual", "-q"]) == 0
    out = capsys.readouterr().out
    assert "PESQ-WB" in out and "STOI" in out and "| gan |" in out


def test_folder_in_parallel_equals_one_worker_and_a_rerun_skips_what_is_done(tmp_path, sine, capsys):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    for i, f in enumerate([src / "a.wav", src / "b.flac", src / "sub" / "c.wav"]):
        save(f, sine(200 + 100 * i, 4000, duration_s=1.5), 4000)
    assert main(["upsample", str(src), "--output-dir", str(tmp_path / "one"), "--ratio", "4", "-q"]) == 0
    assert main(["upsample", str(src), "--output-dir", str(tmp_path / "two"), "--ratio", "4", "--jobs", "2", "-q"]) == 0
    for rel in ("a.wav", "b.flac", "sub/c.wav"):
        assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "two" / rel).read_bytes(), rel
    (tmp_path / "two" / "b.flac").unlink()
    before = (tmp_path / "two" / "a.wav").stat().st_mtime_ns
    assert main(["upsample", str(src), "--output-dir", str(tmp_path / "two"), "--ratio", "4", "--jobs", "2"]) == 0
    said = capsys.readouterr().err
    assert "1 of 3 files written" in said and "2 skipped" in said
    assert said.rstrip().endswith("(frame-speech-16k-4to12k: 1)")  # which model the worker used, as one file says
    assert (tmp_path / "two" / "b.flac").exists() and (tmp_path / "two" / "a.wav").stat().st_mtime_ns == before
    assert main(["upsample", str(src), "--output-dir", str(tmp_path / "two"), "--ratio", "4", "--overwrite", "-q"]) == 0
    assert (tmp_path / "two" / "a.wav").stat().st_mtime_ns != before
    assert main(["upsample", str(src), "--output-dir", str(tmp_path / "x"), "--ratio", "4", "--jobs", "0", "-q"]) == 1
    assert "jobs" in capsys.readouterr().err and not (tmp_path / "x").exists()
    assert not list(tmp_path.rglob("*.part"))


def test_a_folder_run_sweeps_what_a_killed_writer_left_and_nothing_else(tmp_path, sine):
    from srlib.audio import stale_parts

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    for name in ("f1.wav", "f2.wav"):
        save(src / name, sine(300, 4000, duration_s=0.5), 4000)
    dead = out / ".f1.wav.k3j_9xq2.part"  # as a worker killed mid-file leaves it (mkstemp's 8 random characters)
    dead.write_bytes(b"RIFF")
    foreign = [out / ".f1.wav.notours.part", out / ".other.wav.k3j_9xq2.part", out / "notes.part"]
    for f in foreign:
        f.write_bytes(b"keep")
    assert stale_parts(out / "f1.wav") == [dead]
    assert main(["upsample", str(src), "--output-dir", str(out), "--ratio", "4", "--model", "sinc", "-q"]) == 0
    assert not dead.exists() and all(f.exists() for f in foreign)
    assert (out / "f1.wav").exists() and (out / "f2.wav").exists()


def test_an_empty_folder_creates_nothing(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["upsample", str(tmp_path / "empty"), "--output-dir", str(tmp_path / "out"), "--ratio", "4", "-q"]) == 1
    assert "no audio files" in capsys.readouterr().err and not (tmp_path / "out").exists()


def _interrupt_a_parallel_folder(tmp_path, sine, *, sigint_ignored: bool):
    """Start ``srlib upsample`` on 6 two-minute files with 2 jobs, send SIGINT to its process group once a
    write has begun; returns (returncode, stderr, source folder). The child starts with SIGINT at its default
    (a terminal) or ignored (a background job of a non-interactive shell), whatever pytest inherited."""
    import os
    import signal
    import time

    src = tmp_path / "in"
    src.mkdir()
    for i in range(6):
        save(src / f"{i}.wav", np.tile(sine(300 + 50 * i, 4000), 120), 4000)  # 2 minutes each
    disposition = signal.SIG_IGN if sigint_ignored else signal.SIG_DFL
    proc = subprocess.Popen([sys.executable, "-m", "srlib", "upsample", str(src), "--output-dir", str(tmp_path / "out"),
                             "--ratio", "4", "--jobs", "2", "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, disposition))
    deadline = time.time() + 60
    while not list((tmp_path / "out").glob(".*.part")) and time.time() < deadline:  # a write has begun
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends: the whole process group
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err, src


def test_ctrl_c_stops_a_parallel_folder_cleanly(tmp_path, sine):
    returncode, err, src = _interrupt_a_parallel_folder(tmp_path, sine, sigint_ignored=False)
    assert returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert not list(tmp_path.rglob("*.part"))  # no partial file left behind
    for f in (tmp_path / "out").glob("*.wav"):  # whatever was finished is whole
        assert sf.info(f).frames == 4 * sf.info(src / f.name).frames


def test_after_an_interrupt_a_half_built_objects_destructor_stays_quiet():
    """Ctrl-C inside np.load's ZipFile left one whose destructor printed a traceback (seen once in CI)."""
    code = ("from srlib.api import quiet_after_interrupt\n"
            "class HalfBuilt:\n    def __del__(self):\n        raise AttributeError('_writing')\n"
            "HalfBuilt()\nquiet_after_interrupt()\nHalfBuilt()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr.count("Exception ignored") == 1, done.stderr  # before it only


def test_a_run_started_with_sigint_ignored_finishes_every_file(tmp_path, sine):
    # nohup ... & in a script starts it with SIGINT ignored: no worker may fail a file on a group SIGINT
    returncode, err, src = _interrupt_a_parallel_folder(tmp_path, sine, sigint_ignored=True)
    assert returncode == 0, err
    assert sorted(f.name for f in (tmp_path / "out").glob("*.wav")) == sorted(f.name for f in src.glob("*.wav"))


def test_a_folder_on_a_dask_cluster_equals_one_worker(tmp_path, sine, capsys):
    """A local Dask cluster on the loopback interface, two worker processes: one task per file."""
    dask, distributed = pytest.importorskip("dask"), pytest.importorskip("distributed")

    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    for i, f in enumerate([src / "a.wav", src / "b.flac", src / "sub" / "c.wav", src / "d.wav"]):
        save(f, sine(200 + 100 * i, 4000, duration_s=1.5), 4000)
    (src / "bad.wav").write_bytes(b"not audio")
    assert main(["upsample", str(src), "--output-dir", str(tmp_path / "one"), "--ratio", "4", "-q"]) == 1
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        code = main(["upsample", str(src), "--output-dir", str(tmp_path / "two"), "--ratio", "4",
                     "--scheduler", address])
        err = capsys.readouterr().err
        assert code == 1 and "4 of 5 files written" in err and "FAILED" in err and "bad.wav" in err
        served = cluster.scheduler.task_prefixes["upsample_one"].state_counts["memory"]
        assert served == 5  # one task per file, all run on the cluster
        code = main(["upsample", str(src), "--output-dir", str(tmp_path / "two"), "--ratio", "4",
                     "--scheduler", address])  # a re-run skips what is done
        assert code == 1 and "0 of 5 files written" in capsys.readouterr().err
    for rel in ("a.wav", "b.flac", "sub/c.wav", "d.wav"):
        assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "two" / rel).read_bytes(), rel
    assert not list(tmp_path.rglob("*.part"))
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = main(["upsample", str(src), "--output-dir", str(tmp_path / "three"), "--ratio", "4", "-q",
                     "--scheduler", "tcp://127.0.0.1:9"])  # nothing listens there
    assert code == 1 and "cannot reach a Dask scheduler" in capsys.readouterr().err
    assert not (tmp_path / "three").exists()


def test_one_module_declares_every_command():
    """bench and export are sub-commands of the one parser; no other srlib module builds an argparse program."""
    import ast
    from pathlib import Path

    from srlib.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    assert {"upsample", "evaluate", "calibrate", "info", "data", "bench", "export", "train"} <= set(commands)
    srlib = Path(__file__).resolve().parent.parent / "srlib"
    parsers = [p.name for p in srlib.rglob("*.py") if p.name != "cli.py"
               and any(isinstance(n, ast.Attribute) and n.attr == "ArgumentParser" for n in ast.walk(ast.parse(p.read_text())))]
    assert parsers == []


def test_export_writes_nothing_new_for_a_shipped_folder(tmp_path, capsys):
    import shutil

    from srlib.models.card import shipped_models

    folder = tmp_path / "m"
    shutil.copytree(shipped_models()["unet-speech-16k-r4"], folder)
    assert main(["export", str(folder)]) == 0
    assert capsys.readouterr().out.startswith(f"{folder}: wrote ")


def test_train_options_arch_and_augment_become_config_fields():
    from srlib.cli import build_parser, train_config

    args = build_parser().parse_args(["train", "--model", "frame", "--out", "x", "--arch", "channels=96", "blocks=6",
                                      "--augment", "voice=0.05", "chains=mulaw,gsm"])
    config = train_config(args)
    assert config.arch == {"channels": 96, "blocks": 6}
    assert config.augment == {"voice": 0.05, "chains": ["mulaw", "gsm"]}
    assert train_config(build_parser().parse_args(["train", "--out", "x", "--augment"])).augment == {}
    assert train_config(build_parser().parse_args(["train", "--out", "x"])).augment is None
    assert train_config(build_parser().parse_args(["train", "--out", "x", "--loss-resolutions", "1"])).loss_resolutions == 1
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        train_config(build_parser().parse_args(["train", "--out", "x", "--arch", "channels"]))


def test_train_refuses_an_unknown_augment_field_before_reading_data(tmp_path):
    from srlib.models.train_config import TrainConfig
    from srlib.train import train

    with pytest.raises(ConfigError, match="unknown field"):
        train(TrainConfig(model="frame", corpus=str(tmp_path / "missing"), augment={"pitch": 0.1}), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_train_options_are_the_train_config_fields_with_their_docstrings():
    """A field added to TrainConfig is an option of srlib train, documented by its docstring line."""
    from dataclasses import fields

    from srlib.cli import attribute_docs, build_parser, train_config
    from srlib.models.train_config import TrainConfig

    docs = attribute_docs(TrainConfig)
    assert set(docs) == {f.name for f in fields(TrainConfig)} and all(docs.values())
    train = build_parser()._subparsers._group_actions[0].choices["train"]
    options = {a.dest: a for a in train._actions}
    assert {f.name for f in fields(TrainConfig)} <= set(options)
    assert options["patch_len"].help == docs["patch_len"] == "Training patch length in samples at sr_hz."
    args = build_parser().parse_args(["train", "--out", "x", "--patch-len", "4096", "--quick-data", "--gan",
                                      "periods=2,3", "--init", "none", "--input-rates", "4000", "12000"])
    config = train_config(args)
    assert (config.patch_len, config.quick_data, config.gan["periods"], config.init) == (4096, True, [2, 3], None)
    assert config.input_rates_hz == [4000, 12000] and train_config(build_parser().parse_args(
        ["train", "--out", "x"])).quick_data is True  # the quick profile's own value stays
