import os

import numpy as np
import pytest
import soundfile as sf

from srlib import AudioError, load, resample, save, validate_audio
from srlib.audio import validate_ratio


def test_save_load_round_trip(tmp_path, sine):
    x = sine()
    path = save(tmp_path / "a.wav", x, 16000, subtype="FLOAT")
    y, sr = load(path)
    assert sr == 16000 and y.dtype == np.float32
    np.testing.assert_array_equal(y, x)


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".ogg"])
def test_formats(tmp_path, sine, suffix):
    x = sine()
    save(tmp_path / f"a{suffix}", x, 16000)
    y, sr = load(tmp_path / f"a{suffix}")
    assert sr == 16000 and abs(len(y) - len(x)) <= 0
    tol = 0.05 if suffix == ".ogg" else 1e-3  # vorbis is lossy
    assert np.sqrt(np.mean((y - x) ** 2)) < tol


def test_load_resamples_and_keeps_channels(tmp_path, sine):
    stereo = np.stack([sine(440), sine(880)])
    save(tmp_path / "s.wav", stereo, 16000)
    y, sr = load(tmp_path / "s.wav", mono=False)
    assert y.shape == (2, 16000)
    y, sr = load(tmp_path / "s.wav", sr_hz=8000)
    assert y.shape == (8000,) and sr == 8000


def test_save_refuses_to_overwrite(tmp_path, sine):
    path = tmp_path / "a.wav"
    save(path, sine(), 16000)
    before = path.read_bytes()
    with pytest.raises(AudioError, match="already exists"):
        save(path, sine(880), 16000)
    assert path.read_bytes() == before
    save(path, sine(880), 16000, overwrite=True)
    assert path.read_bytes() != before


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path, sine):
    save(tmp_path / "a.wav", sine(), 16000)
    assert sorted(os.listdir(tmp_path)) == ["a.wav"]
    with pytest.raises(AudioError):
        save(tmp_path / "b.wav", np.array([np.nan, 0.0]), 16000)
    assert sorted(os.listdir(tmp_path)) == ["a.wav"]


def test_save_clips_integer_formats(tmp_path):
    save(tmp_path / "c.wav", np.array([2.0, -2.0, 0.5], dtype=np.float32), 16000)
    y, _ = load(tmp_path / "c.wav")
    assert y.max() <= 1.0 and y.min() >= -1.0 and y[0] > 0.99  # clipped, not wrapped


def _write(path, data):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("setup, message", [
    (lambda d: d / "missing.wav", "no such file"),
    (lambda d: d, "is a directory"),
    (lambda d: _write(d / "empty.wav", b""), "empty"),
    (lambda d: _write(d / "junk.wav", b"RIFF1234WAVEjunkjunkjunk" * 3), "not a readable"),
])
def test_load_bad_files(tmp_path, setup, message):
    with pytest.raises(AudioError, match=message) as info:
        load(setup(tmp_path))
    assert str(tmp_path) in str(info.value)


def test_load_header_only_and_truncated(tmp_path, sine):
    sf.write(tmp_path / "h.wav", np.zeros((0, 1)), 16000)
    with pytest.raises(AudioError, match="no audio frames|not a readable"):
        load(tmp_path / "h.wav")
    save(tmp_path / "t.flac", sine(), 16000)
    data = (tmp_path / "t.flac").read_bytes()
    (tmp_path / "t2.flac").write_bytes(data[: len(data) // 3])
    # a truncated flac either fails loudly or returns fewer samples; never garbage silently
    try:
        y, _ = load(tmp_path / "t2.flac")
        assert len(y) < 16000
    except AudioError as exc:
        assert "t2.flac" in str(exc)


def test_load_rejects_nan(tmp_path):
    sf.write(tmp_path / "n.wav", np.array([0.0, np.nan, 0.1], dtype=np.float32), 16000, subtype="FLOAT")
    with pytest.raises(AudioError, match="NaN/inf"):
        load(tmp_path / "n.wav")


def test_validate_audio_messages():
    with pytest.raises(AudioError, match="empty"):
        validate_audio([])
    with pytest.raises(AudioError, match="too short"):
        validate_audio(np.zeros(10), min_samples=20)
    with pytest.raises(AudioError, match="silent"):
        validate_audio(np.zeros(10), allow_silence=False)
    with pytest.raises(AudioError, match="shape"):
        validate_audio(np.zeros((2, 2, 2)))


@pytest.mark.parametrize("bad", [1, 2.5, 0, -4, "x", 17])
def test_validate_ratio(bad):
    with pytest.raises(AudioError, match="ratio"):
        validate_ratio(bad)


def test_resample_preserves_a_tone(sine):
    y = resample(sine(440, 16000), 16000, 8000)
    ref = sine(440, 8000)
    assert np.sqrt(np.mean((y[100:-100] - ref[100:-100]) ** 2)) < 1e-3


def test_save_errors(tmp_path, sine):
    with pytest.raises(AudioError, match="does not exist"):
        save(tmp_path / "no" / "a.wav", sine(), 16000)
    with pytest.raises(AudioError, match="unknown output format"):
        save(tmp_path / "a.xyz", sine(), 16000)
    with pytest.raises(AudioError, match="sr_hz"):
        save(tmp_path / "a.wav", sine(), 0)


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "FLOAT"])
def test_a_truncated_wav_is_read_for_what_it_holds_with_a_warning_naming_both_counts(tmp_path, subtype):
    from srlib.audio import TruncatedAudioWarning, declared_wav_frames, info

    sf.write(tmp_path / "whole.wav", np.zeros((16000, 2)), 16000, subtype=subtype)
    assert declared_wav_frames(tmp_path / "whole.wav") == 16000
    data = (tmp_path / "whole.wav").read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[: len(data) // 2])
    with pytest.warns(TruncatedAudioWarning, match=r"cut\.wav.*promises 16000 frames but the file holds \d+"):
        held = info(tmp_path / "cut.wav").frames
    assert 0 < held < 16000
    with pytest.warns(TruncatedAudioWarning, match=str(held)):
        assert load(tmp_path / "cut.wav", mono=False)[0].shape == (2, held)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a whole file, a FLAC: no warning
        info(tmp_path / "whole.wav")
        save(tmp_path / "x.flac", np.zeros(100, "float32"), 16000)
        assert declared_wav_frames(tmp_path / "x.flac") is None and info(tmp_path / "x.flac").frames == 100
