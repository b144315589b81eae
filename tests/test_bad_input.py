"""Bad input, tried as a new user of ``srlib upsample`` would try it.

Every refused case must give exit code 1 (2 for a malformed command line), one line that
names the problem, no output file and no temporary file left behind, and the input as it was.
Every odd-but-valid case must give a whole output of the right length, rate and channels.
"""

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from srlib.cli import main

SR = 8000


def tone(n=SR, channels=1, amp=0.3):
    x = amp * np.sin(2 * np.pi * 440 * np.arange(n) / SR)
    return np.stack([x * (1 - 0.1 * c) for c in range(channels)], axis=1).astype(np.float32)


def wav(path, x, sr=SR, subtype="PCM_16"):
    sf.write(path, x, sr, subtype=subtype)
    return path


def with_sample(value, at=100):
    def make(d):
        x = tone()
        x[at] = value
        return wav(d / "in.wav", x, subtype="FLOAT")
    return make


def raw(name, data):
    def make(d):
        (d / name).write_bytes(data(d) if callable(data) else data)
        return d / name
    return make


def whole_wav_bytes(d):
    return wav(d / "whole.wav", tone()).read_bytes()


def ok(d):
    return wav(d / "in.wav", tone())


# name: (make the input in folder d -> its path, arguments after "upsample IN OUT", exit code, message)
REFUSED = {
    "empty file": (raw("in.wav", b""), ["--ratio", "2"], 1, "empty"),
    "text file named .wav": (raw("in.wav", b"hello, I am not audio\n" * 20), ["--ratio", "2"], 1, "not a readable"),
    "random bytes named .flac": (raw("in.flac", bytes(np.random.default_rng(0).integers(0, 256, 4000, np.uint8))),
                                 ["--ratio", "2"], 1, "not a readable"),
    "RIFF header, wrong format tag": (raw("in.wav", lambda d: b"RIFX" + whole_wav_bytes(d)[4:]), ["--ratio", "2"], 1,
                                      "not a readable"),
    "header only, no frames": (lambda d: wav(d / "in.wav", np.zeros((0, 1), np.float32)), ["--ratio", "2"], 1,
                               "no audio frames"),
    "NaN sample": (with_sample(np.nan), ["--ratio", "2"], 1, "NaN/inf"),
    "+inf sample": (with_sample(np.inf), ["--ratio", "2"], 1, "NaN/inf"),
    "-inf as the last sample": (with_sample(-np.inf, at=-1), ["--ratio", "2"], 1, "NaN/inf"),
    "ratio 1": (ok, ["--ratio", "1"], 1, "ratio"),
    "ratio 17": (ok, ["--ratio", "17"], 1, "ratio"),
    "negative ratio": (ok, ["--ratio", "-2"], 1, "ratio"),
    "fractional ratio": (ok, ["--ratio", "2.5"], 2, None),
    "ratio and target both": (ok, ["--ratio", "2", "--target-sr", "16000"], 2, None),
    "target below the input rate": (ok, ["--target-sr", "4000"], 1, "expected more than the input"),
    "target rate 0": (ok, ["--target-sr", "0"], 1, "target_sr_hz"),
    "unknown model": (ok, ["--ratio", "2", "--model", "wavenet-9000"], 1, "wavenet-9000"),
    "a model whose input rate is below the file's": (ok, ["--ratio", "2", "--model", "frame-speech-16k-r4"], 1,
                                                     "would be thrown away"),
    "unknown content": (ok, ["--ratio", "2", "--content", "podcast"], 2, None),
    "unknown output format": (ok, ["--ratio", "2", "@out.xyz"], 1, "unknown output format"),
    "output folder missing": (ok, ["--ratio", "2", "@no/such/folder/out.wav"], 1, "does not exist"),
    "output is a folder": (ok, ["--ratio", "2", "@."], 1, "is a directory"),
    "output is the input": (ok, ["--ratio", "2", "--overwrite", "@in.wav"], 1, "is the input"),
    "output is a device (/dev/full)": (ok, ["--ratio", "2", "--overwrite", "@/dev/full"], 1, "not a regular file"),
    "missing input": (lambda d: d / "nope.wav", ["--ratio", "2"], 1, "no such file"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_refused_with_one_clear_line_and_nothing_written(tmp_path, case, capsys):
    make, args, code, message = REFUSED[case]
    src = make(tmp_path)
    out = [a[1:] for a in args if a.startswith("@")]
    out = tmp_path / out[0] if out else tmp_path / "out.wav"
    args = [a for a in args if not a.startswith("@")]
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    if code == 2:  # argparse's usage errors
        with pytest.raises(SystemExit) as exc:
            main(["upsample", str(src), str(out), "-q", *args])
        assert exc.value.code == 2
        return
    assert main(["upsample", str(src), str(out), "-q", *args]) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("srlib: error:") and message in err[0], err
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before  # nothing written, nothing left behind, the input untouched


def test_an_existing_output_is_kept_without_overwrite(tmp_path, capsys):
    wav(tmp_path / "in.wav", tone())
    (tmp_path / "out.wav").write_bytes(b"precious")
    assert main(["upsample", str(tmp_path / "in.wav"), str(tmp_path / "out.wav"), "--ratio", "2", "-q"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "out.wav").read_bytes() == b"precious"


def run_cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "srlib", "upsample", *map(str, args), "-q"], capture_output=True,
                          text=True, **kw)


def test_a_full_disk_fails_cleanly(tmp_path):
    """The file-size limit makes every write past 200 kB fail as a full disk does (EFBIG, like ENOSPC)."""
    wav(tmp_path / "in.wav", tone(20 * SR))  # 20 s -> 640 kB of 16 kHz PCM_16

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    res = run_cli(tmp_path / "in.wav", tmp_path / "out.wav", "--ratio", "2", preexec_fn=limit)
    assert res.returncode == 1 and "could not write audio" in res.stderr and "Traceback" not in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.wav"]


def test_a_write_failing_mid_file_stops_the_file_and_leaves_nothing(tmp_path, monkeypatch):
    """Blocks are written in a thread while the next is made: a failed write still fails the file, at once."""
    from srlib import AudioError
    from srlib.api import upsample_file_used

    wav(tmp_path / "in.wav", tone(20 * SR))
    calls, real = [], sf.SoundFile.write

    def write(self, data):
        calls.append(len(data))
        if len(calls) == 2:
            raise RuntimeError("System error.")  # what libsndfile says of a full disk
        return real(self, data)

    monkeypatch.setattr(sf.SoundFile, "write", write)
    with pytest.raises(AudioError, match="is the disk full"):
        upsample_file_used(tmp_path / "in.wav", tmp_path / "out.wav", ratio=2, block_s=4)
    assert len(calls) == 2  # no block after the failed one was written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.wav"]


def test_kill_9_during_a_write_leaves_no_output_and_a_rerun_works(tmp_path):
    sf.write(tmp_path / "in.wav", tone(600 * 4000)[:, 0], 4000)  # 10 minutes at 4 kHz
    proc = subprocess.Popen([sys.executable, "-m", "srlib", "upsample", str(tmp_path / "in.wav"),
                             str(tmp_path / "out.wav"), "--ratio", "4", "-q"])
    deadline = time.time() + 60
    while not any(p.stat().st_size for p in tmp_path.glob(".*.part")) and time.time() < deadline:
        time.sleep(0.01)  # until the first block is on disk
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL and not (tmp_path / "out.wav").exists()
    assert run_cli(tmp_path / "in.wav", tmp_path / "out.wav", "--ratio", "4").returncode == 0
    assert sf.info(tmp_path / "out.wav").frames == 4 * 600 * 4000


def test_a_folder_with_one_broken_file_writes_the_others_and_names_it(tmp_path, capsys):
    src = tmp_path / "in"
    (src / "deeper").mkdir(parents=True)
    for name in ("a.wav", "deeper/b.wav", "c.flac"):
        wav(src / name, tone(SR // 2))
    wav(src / "broken.wav", tone(SR // 2))
    (src / "broken.wav").write_bytes((src / "broken.wav").read_bytes()[:30])  # cut inside the header
    code = main(["upsample", str(src), "--output-dir", str(tmp_path / "out"), "--ratio", "2", "--jobs", "2"])
    err = capsys.readouterr().err
    assert code == 1 and "3 of 4 files written" in err and "FAILED" in err and "broken.wav" in err
    assert sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*") if p.is_file()) == [
        "a.wav", "c.flac", "deeper/b.wav"]


SQUARE = np.where(np.arange(SR) // 200 % 2, -1.0, 1.0)[:, None].astype(np.float32)  # 20 Hz at full scale

# name: (input samples (n, channels), rate, subtype, arguments) -> must be written whole
ACCEPTED = {
    **{f"{c} channels": (tone(SR // 2, channels=c), SR, "PCM_16", ["--ratio", "2"]) for c in range(1, 7)},
    "one sample": (tone(1) + 0.1, SR, "PCM_16", ["--ratio", "2"]),
    "three samples": (tone(3) + 0.1, SR, "PCM_16", ["--ratio", "2"]),
    "an odd length": (tone(4097), SR, "PCM_16", ["--ratio", "3"]),
    "DC only": (np.full((SR, 1), 0.5, np.float32), SR, "PCM_16", ["--ratio", "2"]),
    "clipped square at full scale": (SQUARE, SR, "PCM_16", ["--ratio", "2"]),
    "float samples above 1": (tone(amp=3.0), SR, "FLOAT", ["--ratio", "2"]),
    "4 kHz through the default model": (tone(4000), 4000, "PCM_16", ["--ratio", "4"]),
    "48 kHz to 96 kHz": (tone(4800), 48000, "PCM_24", ["--ratio", "2"]),
    "a unicode path": (tone(), SR, "PCM_16", ["--ratio", "2", "@spräché ✓ 音.wav"]),
}


@pytest.mark.parametrize("case", ACCEPTED)
def test_odd_but_valid_input_is_written_whole(tmp_path, case, capsys):
    x, sr, subtype, args = ACCEPTED[case]
    names = [a[1:] for a in args if a.startswith("@")]
    src = tmp_path / (names[0] if names else "in.wav")
    wav(src, x, sr, subtype)
    out = tmp_path / ("out " + src.name)
    assert main(["upsample", str(src), str(out), "-q", *[a for a in args if not a.startswith("@")]]) == 0
    ratio = int(args[args.index("--ratio") + 1])
    y, sr_out = sf.read(out, always_2d=True)
    assert sr_out == sr * ratio and y.shape == (len(x) * ratio, x.shape[1])
    assert np.isfinite(y).all() and sf.info(out).subtype == subtype
    if subtype == "PCM_16":
        assert np.abs(y).max() <= 1.0
    if case == "clipped square at full scale":  # clipped, never wrapped around to the other sign
        steady = (np.arange(len(y)) // 2 % 200 > 20) & (np.arange(len(y)) // 2 % 200 < 180)
        assert np.all(y[steady, 0] * np.repeat(x[:, 0], 2)[steady] > 0.5)  # a wrap-around gives -1
    assert not list(tmp_path.glob(".*.part"))
    assert "Traceback" not in capsys.readouterr().err


def test_silence_and_a_truncated_wav_warn_in_one_line_each(tmp_path):
    wav(tmp_path / "silent.wav", np.zeros((SR, 1), np.float32))
    res = run_cli(tmp_path / "silent.wav", tmp_path / "o1.wav", "--ratio", "2")
    assert res.returncode == 0 and res.stderr.strip() == f"srlib: warning: {tmp_path / 'silent.wav'}: the input is " \
                                                        "silent (all zeros); the output is silent too"
    data = wav(tmp_path / "whole.wav", tone()).read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[: len(data) // 2])
    res = run_cli(tmp_path / "cut.wav", tmp_path / "o2.wav", "--ratio", "2")
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 0 and len(lines) == 1 and lines[0].startswith("srlib: warning:")  # its header read once
    assert f"promises {SR} frames" in lines[0]
    res = run_cli(tmp_path / "cut.wav", tmp_path / "o3.wav", "--ratio", "2", "--model", "sinc")
    assert res.returncode == 0 and len(res.stderr.strip().splitlines()) == 1
    held = (len(data) // 2 - 44) // 2
    assert sf.info(tmp_path / "o2.wav").frames == 2 * held
