"""srlib as a tool trusted with files: formats, bad input, long files, no partial outputs."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from srlib import AudioError, load, upsample, upsample_file
from srlib.api import SilentInputWarning


def _tone(sr_hz, seconds, freq=300.0, channels=1):
    t = np.arange(int(sr_hz * seconds)) / sr_hz
    x = np.stack([0.4 * np.sin(2 * np.pi * freq * (c + 1) * t) for c in range(channels)])
    return x[0] if channels == 1 else x


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
def test_wav_subtypes_kept(tmp_path, subtype):
    sf.write(tmp_path / "in.wav", _tone(8000, 0.5), 8000, subtype=subtype)
    upsample_file(tmp_path / "in.wav", tmp_path / "out.wav", 2, method="spline")
    info = sf.info(tmp_path / "out.wav")
    assert (info.samplerate, info.frames, info.subtype) == (16000, 8000, subtype)


@pytest.mark.parametrize("suffix", [".flac", ".ogg", ".mp3"])
def test_compressed_formats(tmp_path, suffix):
    sf.write(tmp_path / f"in{suffix}", _tone(16000, 1.0), 16000)
    upsample_file(tmp_path / f"in{suffix}", tmp_path / "out.wav", 2, method="sinc")
    y, sr = load(tmp_path / "out.wav")
    assert sr == 32000 and abs(len(y) - 32000) < 2000  # mp3 adds encoder padding


@pytest.mark.parametrize("sr_hz", [4000, 11025, 22050, 44100, 96000])
def test_rates(tmp_path, sr_hz):
    sf.write(tmp_path / "in.wav", _tone(sr_hz, 0.5, channels=3).T, sr_hz)
    upsample_file(tmp_path / "in.wav", tmp_path / "out.wav", 2, method="spline")
    info = sf.info(tmp_path / "out.wav")
    assert (info.samplerate, info.channels) == (2 * sr_hz, 3)


def test_streamed_equals_whole_and_no_seams(tmp_path):
    x = _tone(8000, 5.0) * (1 + 0.5 * np.sin(np.arange(40000) / 900))
    x = (x + 0.01 * np.random.default_rng(0).standard_normal(len(x))).astype(np.float32)
    sf.write(tmp_path / "in.wav", x, 8000, subtype="FLOAT")
    for method in ("spline", "sinc"):
        out = tmp_path / f"{method}.wav"
        upsample_file(tmp_path / "in.wav", out, 2, method=method, block_s=0.7, context_s=0.2)
        y, _ = load(out)
        whole, _ = upsample(x, 8000, 2, method=method)
        assert len(y) == len(whole)
        assert np.sqrt(np.mean((y - whole) ** 2)) <= 1e-4 * np.sqrt(np.mean(whole**2)), method
        for s in range(11200, len(y), 11200):  # the block seams at the output rate
            a, b = whole[s - 64: s + 64], y[s - 64: s + 64]
            assert abs(np.sqrt(np.mean(b**2)) / np.sqrt(np.mean(a**2)) - 1) < 1e-3


def test_nan_in_the_middle_leaves_no_output(tmp_path):
    x = _tone(8000, 4.0).astype(np.float32)
    x[20000] = np.nan
    sf.write(tmp_path / "in.wav", x, 8000, subtype="FLOAT")
    with pytest.raises(AudioError, match=r"in\.wav.*NaN/inf"):
        upsample_file(tmp_path / "in.wav", tmp_path / "out.wav", 2, method="spline", block_s=1.0)
    assert sorted(os.listdir(tmp_path)) == ["in.wav"]


def test_silent_input_warns_and_still_writes(tmp_path):
    sf.write(tmp_path / "in.wav", np.zeros(4000), 8000)
    with pytest.warns(SilentInputWarning):
        upsample_file(tmp_path / "in.wav", tmp_path / "out.wav", 2, method="spline")
    assert sf.info(tmp_path / "out.wav").frames == 8000


def test_very_short_input_is_padded_not_crashed(tmp_path):
    sf.write(tmp_path / "in.wav", np.array([0.1, -0.2, 0.3]), 4000)
    upsample_file(tmp_path / "in.wav", tmp_path / "out.wav", 4, method="unet")
    assert sf.info(tmp_path / "out.wav").frames == 12


def test_output_location_errors(tmp_path):
    sf.write(tmp_path / "in.wav", _tone(8000, 0.2), 8000)
    with pytest.raises(AudioError, match="does not exist"):
        upsample_file(tmp_path / "in.wav", tmp_path / "nope" / "out.wav", 2, method="spline")
    (tmp_path / "folder").mkdir()
    with pytest.raises(AudioError, match="is a directory"):
        upsample_file(tmp_path / "in.wav", tmp_path / "folder", 2, method="spline")


def test_unwritable_output_folder(tmp_path):
    """A folder the process cannot create files in. For an ordinary user a chmod 500 folder;
    root ignores permission bits, so as root the test writes into /sys, where the kernel
    refuses every new file (EACCES) whoever asks."""
    sf.write(tmp_path / "in.wav", _tone(8000, 0.2), 8000)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        target = locked
        if os.access(locked, os.W_OK):  # root
            target = Path("/sys")
            if not target.is_dir():
                pytest.skip("running as root on a system without /sys: no folder refuses root here")
        before = set(os.listdir(target))
        with pytest.raises(AudioError, match="cannot write"):
            upsample_file(tmp_path / "in.wav", target / "srlib-out.wav", 2, method="spline")
        assert set(os.listdir(target)) == before
    finally:
        locked.chmod(0o700)


def test_model_rates_that_cannot_be_met_say_so(tmp_path):
    sf.write(tmp_path / "in.wav", _tone(16000, 0.2), 16000)
    with pytest.raises(AudioError, match="takes 4000 Hz input"):
        upsample_file(tmp_path / "in.wav", tmp_path / "out.wav", 2, method="unet")
    assert not (tmp_path / "out.wav").exists()


def test_one_hour_file_in_bounded_memory(tmp_path):
    """A generated 1-hour file is streamed: peak memory stays far below the file's decoded size."""
    sr_hz, seconds = 4000, 3600
    with sf.SoundFile(tmp_path / "hour.wav", "w", sr_hz, 1, subtype="PCM_16") as f:
        minute = _tone(sr_hz, 60).astype(np.float32)
        for _ in range(seconds // 60):
            f.write(minute)
    code = ("import sys; from srlib.api import upsample_file; "
            f"upsample_file({str(tmp_path / 'hour.wav')!r}, {str(tmp_path / 'out.wav')!r}, 4, method='spline'); "
            "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')) / 1024)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    peak_mib = float(res.stdout.strip().splitlines()[-1])
    out_frames = sf.info(tmp_path / "out.wav").frames
    assert out_frames == sr_hz * seconds * 4
    # the 16 kHz output alone is 220 MiB as float32; holding it (and the spline's float64 work) would be > 1 GiB
    assert peak_mib < 400, f"peak RSS {peak_mib:.0f} MiB"
