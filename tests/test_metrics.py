import numpy as np
import pytest

from srlib import AudioError
from srlib.degrade import make_lowres
from srlib.metrics import evaluate_pair, lsd, si_sdr_db, snr_db


def test_snr_of_sine_plus_known_noise(sine):
    x = sine(440, amp=1.0)  # power 0.5
    n = np.random.default_rng(0).standard_normal(len(x)).astype(np.float32) * np.sqrt(0.005)
    n *= np.sqrt(0.005 / np.mean(n**2))  # exactly power 0.005 -> SNR 20 dB
    assert snr_db(x, x + n) == pytest.approx(20.0, abs=1e-3)


def test_si_sdr_ignores_gain(sine):
    x = sine()
    assert si_sdr_db(x, 0.5 * x) == np.inf
    assert snr_db(x, 0.5 * x) == pytest.approx(6.02, abs=0.01)


def test_lsd_zero_for_identical_and_grows_with_removed_band(noise):
    x = noise(32000)
    assert lsd(x, x) == 0.0
    values = [lsd(x, make_lowres(x, r, keep_rate=True)) for r in (2, 4, 8)]
    assert 0 < values[0] < values[1] < values[2]


def test_lsd_bands(noise):
    x = noise(32000)
    y = make_lowres(x, 4, keep_rate=True)
    hf = lsd(x, y, sr_hz=16000, band="high", cutoff_hz=2000)
    lf = lsd(x, y, sr_hz=16000, band="low", cutoff_hz=2000)
    assert hf > 5 * lf  # the low band keeps most of its content; the high band is gone


def test_lsd_known_value():
    # a uniform gain g changes every log10 power by 2 log10(g): LSD = 2 |log10 g|
    x = np.random.default_rng(0).standard_normal(16000)
    assert lsd(x, 0.1 * x) == pytest.approx(2.0, rel=1e-6)


def test_lsd_floor_sets_the_distance_to_an_empty_band():
    # a full-band signal against silence: every log10 power differs by about log10(P) - log10(eps),
    # so lowering the floor by a factor 100 adds 2 to the LSD
    x = np.random.default_rng(1).standard_normal(16000)
    silent = np.zeros_like(x)
    assert lsd(x, silent, eps=1e-12) - lsd(x, silent, eps=1e-10) == pytest.approx(2.0, abs=0.01)
    with pytest.raises(AudioError, match="eps"):
        lsd(x, x, eps=0.0)


def test_evaluate_pair_keys_and_errors(noise):
    x = noise()
    assert set(evaluate_pair(x, x * 0.9, 16000, 4)) == {"snr_db", "si_sdr_db", "lsd", "lsd_hf", "lsd_lf"}
    with pytest.raises(AudioError, match="shape"):
        snr_db(x, x[:-1])
    with pytest.raises(AudioError, match="band"):
        lsd(x, x, band="middle")


def test_pesq_and_stoi_rank_a_damaged_copy_below_the_original():
    from srlib.data.examples import speech_example
    from srlib.metrics import pesq_wb, stoi

    sr = 16000
    x = speech_example(sr_hz=sr)[: 3 * sr]
    muffled = make_lowres(x, 8, keep_rate=True)[: len(x)]
    assert pesq_wb(x, x) > 4.4
    assert pesq_wb(x, muffled) < pesq_wb(x, x) - 0.3
    assert stoi(x, x, sr) > 0.99
    assert stoi(x, muffled, sr) < stoi(x, x, sr)
    assert np.isnan(pesq_wb(np.zeros(16000), np.zeros(16000)))
    with pytest.raises(AudioError, match="16000 Hz"):
        pesq_wb(x, x, sr_hz=8000)


def test_dnsmos_prefers_the_full_band_and_remembers_a_clip():
    from srlib.data.examples import speech_example
    from srlib.metrics import DNSMOS_SR_HZ, dnsmos

    x = speech_example(sr_hz=DNSMOS_SR_HZ)[: 4 * DNSMOS_SR_HZ]
    x = 0.9 * x / np.abs(x).max()
    full, muffled = dnsmos(x), dnsmos(make_lowres(x, 4, keep_rate=True)[: len(x)])
    assert set(full) == {"dnsmos", "dnsmos_sig", "dnsmos_bak", "dnsmos_ovrl"}
    assert all(1.0 <= v <= 5.0 for v in full.values())
    assert full["dnsmos"] > muffled["dnsmos"]  # a listener-trained measure hears the missing band
    assert dnsmos(x.copy()) == full and dnsmos(2 * x)["dnsmos"] == dnsmos(np.clip(2 * x, -1, 1))["dnsmos"]
    assert all(np.isnan(v) for v in dnsmos(np.zeros(DNSMOS_SR_HZ)).values())
    with pytest.raises(AudioError, match="16000 Hz"):
        dnsmos(x, 8000)


def test_dnsmos_gap_is_the_share_of_sinc_to_original_closed():
    from srlib.evaluate import format_table, summarize
    from srlib.metrics import dnsmos_gap

    assert dnsmos_gap(3.13, 3.13, 3.88) == 0.0 and dnsmos_gap(3.88, 3.13, 3.88) == 1.0
    assert dnsmos_gap(3.0, 3.13, 3.88) < 0 and np.isnan(dnsmos_gap(3.0, 3.13, 3.1))
    rows = [{"clip": c, "method": m, "dnsmos": v + d, "dnsmos_ref": 4.0}
            for c, d in (("a", 0.1), ("b", -0.1)) for m, v in (("sinc", 3.0), ("model", 3.5))]
    summary = summarize(rows)
    assert summary["model"]["dnsmos_gap"]["mean"] == pytest.approx(0.5) and summary["sinc"]["dnsmos_gap"]["mean"] == 0
    table = format_table(summary)
    assert "DNSMOS gap closed" in table and "| 0.50 |" in table and "DNSMOS P.808 of the original" not in table
    assert "dnsmos_ref_mean" in format_table(summary, "csv")
    assert "dnsmos_gap" not in summarize([r for r in rows if r["method"] == "model"])["model"]  # no sinc, no gap


def test_perceptual_columns_only_where_computed():
    from srlib.evaluate import evaluate_clips, format_table, summarize

    rng = np.random.default_rng(0)
    clips = [("a", (0.1 * rng.standard_normal(16000)).astype("float32"))]
    plain = summarize(evaluate_clips(clips, 16000, 4, ["spline"]))
    assert "pesq" not in plain["spline"] and "PESQ" not in format_table(plain)
    full = summarize(evaluate_clips(clips, 16000, 4, ["spline"], perceptual=True))
    assert {"pesq", "stoi", "dnsmos", "dnsmos_ovrl", "dnsmos_ref"} <= set(full["spline"])
    assert "PESQ-WB" in format_table(full) and "DNSMOS P.808" in format_table(full)
    assert "stoi_mean" in format_table(full, "csv")
    heard_not = evaluate_clips(clips, 16000, 4, ["spline"], perceptual=True)[0]
    from srlib.metrics import evaluate_pair

    x = clips[0][1]
    assert not {"dnsmos", "dnsmos_ref"} & set(evaluate_pair(x, 0.9 * x, 16000, 4, perceptual=True, listener=False))
    assert {"pesq", "dnsmos"} <= set(heard_not)
    at_22k = summarize(evaluate_clips([("a", clips[0][1])], 22050, 2, ["spline"], perceptual=True))
    assert "stoi" in at_22k["spline"] and "dnsmos" not in at_22k["spline"]  # DNSMOS, like PESQ-WB: 16 kHz only


def test_html_table_has_a_row_per_method():
    from srlib.evaluate import format_table

    summary = {m: {"n": 2, "snr_db": {"mean": 1.0, "std": 0.5}, "lsd": {"mean": 2.0, "std": 0.1}} for m in ("a", "b<")}
    out = format_table(summary, "html")
    assert out.count("<tr>") == 3 and "<td>b&lt;</td>" in out and "<th>LSD</th>" in out and "LSD-HF" not in out


def test_evaluate_pair_does_not_depend_on_the_recording_level():
    from srlib.metrics import evaluate_pair

    rng = np.random.default_rng(3)
    x = (0.5 * np.sin(2 * np.pi * 300 * np.arange(16000) / 16000) + 0.05 * rng.standard_normal(16000)).astype("float32")
    y = x + 0.02 * rng.standard_normal(16000).astype("float32")
    y[::7] = 0.0  # an estimate with deep holes, where the floor of the logarithm matters
    loud, quiet = evaluate_pair(x, y, 16000, 4), evaluate_pair(1e-3 * x, 1e-3 * y, 16000, 4)
    for key in loud:
        assert quiet[key] == pytest.approx(loud[key], rel=1e-4, abs=1e-6), key


def test_evaluating_at_any_input_rate_goes_through_what_a_user_gets(noise):
    from srlib.evaluate import evaluate_input_rates, summarize

    clips = [("a", noise(16000, 0)), ("b", noise(16000, 1))]
    rows = evaluate_input_rates(clips, 16000, (4000, 6000), ("sinc", "frame"))
    assert {(r["rate_hz"], r["method"]) for r in rows} == {(4000, "sinc"), (4000, "frame"), (6000, "sinc")}
    # the shipped one-rate frame model (4 kHz input) has no row at 6 kHz: it would throw the band above 2 kHz away
    by = {(r["clip"], r["rate_hz"], r["method"]): r for r in rows}
    assert by["a", 6000, "sinc"]["lsd"] < by["a", 4000, "sinc"]["lsd"]  # more band kept, less missing
    assert summarize([r for r in rows if r["rate_hz"] == 4000])["frame"]["n"] == 2


def test_evaluating_at_any_input_rate_raises_what_is_not_a_refused_rate(noise):
    from srlib import AudioError
    from srlib.evaluate import evaluate_input_rates
    from srlib.inference import load_model

    card = load_model("frame").card  # 4 kHz -> 16 kHz
    assert card.refusal(4000, 16000) is None and card.refusal(3000, 16000) is None  # a lower rate is resampled up
    assert "thrown away" in card.refusal(6000, 16000)
    assert card.refusal(4000, 22050) is None  # a higher target than the model's rate: its output is resampled
    broken = noise(16000, 0)
    broken[100] = np.nan
    with pytest.raises(AudioError, match="NaN"):  # not left out as if the model did not take the rate
        evaluate_input_rates([("broken", broken)], 16000, (4000,), ("sinc", "frame"))
