import numpy as np
import pytest

from srlib.augment import CHAINS, Augment, apply_chain, check_chain, companded, tilted
from srlib.errors import ConfigError
from srlib.metrics import snr_db


def _voice(sr_hz=8000, seconds=1.0, seed=0):
    """Harmonics of 140 Hz under a syllable envelope, with a little noise: speech-like, band-limited to sr/2."""
    t = np.arange(int(sr_hz * seconds)) / sr_hz
    x = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, int(sr_hz / 2 / 140)))
    x = x * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t)) + 0.01 * np.random.default_rng(seed).standard_normal(len(t))
    return (0.5 * x / np.abs(x).max()).astype(np.float32)


def test_companding_keeps_small_and_large_samples_with_relative_error():
    x = _voice()
    for law in ("mulaw", "alaw"):
        y = companded(x, law)
        assert y.dtype == np.float32 and y.shape == x.shape
        assert 25 < snr_db(x, y) < 45  # 8-bit companding: about 38 dB on speech at this level
        quiet = companded(0.01 * x, law)
        assert snr_db(0.01 * x, quiet) > 15  # relative, not absolute, error: the point of the law
    assert not np.array_equal(companded(x, "mulaw"), companded(x, "alaw"))
    assert companded(np.array([2.0, -3.0]))[0] == 1.0  # clipped to the codec's range first
    with pytest.raises(ConfigError, match="law"):
        companded(x, "ulaw")


def test_tilt_moves_the_high_band_against_the_low_and_keeps_1_khz():
    sr = 16000
    t = np.arange(sr) / sr
    tone = {f: np.sin(2 * np.pi * f * t).astype(np.float32) for f in (125.0, 1000.0, 8000.0 / 1.01)}

    def level(y):
        return 10 * np.log10(np.mean(y[sr // 2:] ** 2) / 0.5)

    for db in (-4.0, 4.0):
        low, mid, high = (level(tilted(x, sr, db)) for x in tone.values())
        assert abs(mid) < 0.3
        assert np.sign(high - low) == np.sign(db) and abs(high - low) > 2 * abs(db)
    np.testing.assert_array_equal(tilted(tone[1000.0], sr, 0.0), tone[1000.0])


@pytest.mark.parametrize("chain", sorted(CHAINS))
def test_each_chain_returns_the_input_aligned_and_damaged(chain):
    rate = 8000
    x = _voice(rate)
    y = apply_chain(x, rate, chain, level=0.8)
    assert y.shape == x.shape and y.dtype == np.float32
    assert 3 < snr_db(x, y) < 60, chain  # aligned sample for sample (else below 0 dB), and not a copy
    if chain in ("mp3", "opus"):  # a rate the codec does not take is brought to one it does and back
        x11 = _voice(11000)
        assert snr_db(x11, apply_chain(x11, 11000, chain, level=0.5)) > 3


def test_chains_refuse_what_they_cannot_code():
    with pytest.raises(ConfigError, match="GSM|gsm"):
        apply_chain(_voice(12000), 12000, "gsm")
    with pytest.raises(ConfigError, match="chain"):
        apply_chain(_voice(), 8000, "aac")
    check_chain("mulaw", 44100)  # companding takes any rate; a codec its own
    check_chain("gsm", 8000)
    with pytest.raises(ConfigError, match="gsm: codes audio at 8000 Hz; got 11025 Hz"):
        check_chain("gsm", 11025)


def test_augment_fields_round_trip_and_refuse_unknown_ones():
    a = Augment.from_dict({"voice": 0.05, "chains": ["mulaw", "gsm"]})
    assert a.voice == 0.05 and a.chains == ("mulaw", "gsm") and a.chain_p == Augment().chain_p
    assert Augment.from_dict(a.to_dict()) == a and Augment.from_dict(None) is None
    with pytest.raises(ConfigError, match="unknown field"):
        Augment.from_dict({"pitch": 0.1})
    with pytest.raises(ConfigError, match="chains"):
        Augment.from_dict({"chains": ["mulaw", "aac"]})
    with pytest.raises(ConfigError, match="copies"):
        Augment.from_dict({"copies": 0})


def test_source_is_seeded_and_changes_voice_tilt_and_floor():
    x = _voice(16000, 2.0)
    a = Augment(voice=0.05, chain_p=0.0)
    y1, y2 = (a.source(x, 16000, np.random.default_rng(3)) for _ in range(2))
    np.testing.assert_array_equal(y1, y2)
    assert abs(len(y1) - len(x)) <= 0.05 * len(x) + 1
    plain = Augment(voice=0.0, tilt_db_per_octave=0.0, noise_db=(-200.0, -200.0)).source(x, 16000,
                                                                                          np.random.default_rng(0))
    assert snr_db(x, plain) > 80  # each part can be switched off
    never = Augment(chain_p=0.0)
    np.testing.assert_array_equal(never.chain(x, 16000, np.random.default_rng(0)), x)
    gsm_only = Augment(chain_p=1.0, chains=("gsm",))  # GSM codes 8 kHz: above it nothing is left to draw
    np.testing.assert_array_equal(gsm_only.chain(x, 16000, np.random.default_rng(0)), x)
    codecs = Augment(chain_p=1.0, chains=("mp3", "opus"))  # a 32 kHz music input: neither codes it
    np.testing.assert_array_equal(codecs.chain(x, 32000, np.random.default_rng(0)), x)
    assert snr_db(x[:8000], gsm_only.chain(x[:8000], 8000, np.random.default_rng(0))) < 40


def test_make_pairs_augments_the_training_inputs_and_keys_the_cache(tmp_path, monkeypatch):
    from srlib.audio import save
    from srlib.data import folder_corpus, make_pairs

    monkeypatch.setenv("SRLIB_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "corpus"
    for s in range(6):
        (root / f"spk{s}").mkdir(parents=True)
        save(root / f"spk{s}" / "u.wav", _voice(16000, 1.0, seed=s), 16000)
    corpus = folder_corpus(root)
    kw = dict(ratio=4, patch_len=4096, stride=4096, filter="random")
    plain = make_pairs(corpus, "train", **kw)
    clean = make_pairs(corpus, "train", augment=Augment(chain_p=0.0), **kw)
    varied = make_pairs(corpus, "train", augment=Augment(chain_p=1.0, chains=("mulaw",)), **kw)
    again = make_pairs(corpus, "train", augment=Augment(chain_p=1.0, chains=("mulaw",)), **kw)
    np.testing.assert_array_equal(varied.x_in, again.x_in)  # seeded, and cached under its own key
    twice = make_pairs(corpus, "train", augment=Augment(copies=2, voice=0.0), **kw)  # lengths as recorded
    first = twice.x_in[twice.clip_index == 0]  # its two copies, one after the other
    assert len(twice) == 2 * len(plain) and not np.allclose(first[: len(first) // 2], first[len(first) // 2:])
    assert len(list((tmp_path / "cache" / "pairs").glob("*.npz"))) == 4
    assert not np.allclose(plain.hr[0], varied.hr[0])  # another voice, tilt and floor: the target too
    np.testing.assert_array_equal(clean.hr, varied.hr)  # the same draws; the chain touches the input only
    assert 20 < snr_db(clean.x_in[0], varied.x_in[0]) < 50  # 8-bit companding noise on the input
