"""srlib.tables (comparisons of summaries, Markdown tables) and the grouping helpers of srlib.evaluate."""

import math

import numpy as np
import pytest


def _summary(**methods):
    """A summary as srlib.evaluate.summarize makes it: method -> {metric: {"mean", "std"}, "n"}."""
    return {m: {"n": 3, **{k: {"mean": v, "std": 0.1} for k, v in scores.items()}} for m, scores in methods.items()}


SUMMARY = _summary(spline=dict(snr_db=12.0, lsd=3.0, pesq=2.9, lsd_lf=0.4),
                   sinc=dict(snr_db=12.5, lsd=4.0, pesq=2.8, lsd_lf=0.3),
                   frame=dict(snr_db=12.25, lsd=1.0, pesq=3.1, lsd_lf=0.35))


def test_markdown_table_aligns_columns_and_leaves_empty_cells_blank():
    from srlib.tables import markdown_table

    out = markdown_table(["band gain", "edge", "LSD"], [["sinc", "", "3.45"], [0.25, "rebuilt", 1.27]], "rlr")
    assert out.splitlines() == ["| band gain | edge | LSD |", "|---:|---|---:|", "| sinc | | 3.45 |",
                                "| 0.25 | rebuilt | 1.27 |"]
    assert markdown_table(["a"], []) == "| a |\n|---|"


def test_markdown_table_refuses_rows_and_alignments_that_do_not_fit():
    from srlib import ConfigError
    from srlib.tables import markdown_table

    with pytest.raises(ConfigError, match="2 cells"):
        markdown_table(["a", "b", "c"], [["x", "y"]])
    with pytest.raises(ConfigError, match="align"):
        markdown_table(["a", "b"], [], "lc")


def test_means_fall_back_to_nan_and_a_dash_where_a_method_has_no_score():
    from srlib.tables import BETTER_BASELINE, mean_of, mean_text, means_text

    assert mean_of(SUMMARY, "frame", "snr_db") == 12.25
    assert math.isnan(mean_of(SUMMARY, "unet", "snr_db")) and math.isnan(mean_of(SUMMARY, None, "lsd"))
    assert math.isnan(mean_of(SUMMARY, "frame", "stoi"))
    assert mean_of(SUMMARY, BETTER_BASELINE, "snr_db") == 12.5 and mean_of(SUMMARY, BETTER_BASELINE, "lsd") == 3.0
    assert mean_text(SUMMARY, "sinc", "pesq", ".3f") == "2.800" and mean_text(SUMMARY, "unet", "lsd") == "-"
    assert means_text(SUMMARY, ("sinc", None, "frame"), "lsd") == "4.00 / - / 1.00"


def test_the_better_baseline_is_the_higher_snr_and_the_lower_lsd():
    from srlib.tables import better_baseline

    assert better_baseline(SUMMARY, "snr_db") == 12.5  # sinc
    assert better_baseline(SUMMARY, "pesq") == 2.9  # spline
    assert better_baseline(SUMMARY, "lsd") == 3.0 and better_baseline(SUMMARY, "lsd_lf") == 0.3
    assert better_baseline(SUMMARY, "snr_db", baselines=("spline",)) == 12.0
    assert math.isnan(better_baseline({"frame": SUMMARY["frame"]}, "snr_db"))


def test_relative_scores_measure_against_the_better_baseline_and_sinc():
    from srlib.tables import relative_scores

    got = relative_scores(SUMMARY, "frame")
    assert math.isnan(got.pop("dnsmos_gap"))  # no DNSMOS in this summary
    assert got == pytest.approx({"d_snr": -0.25, "d_pesq": 0.2, "lsd_x": 0.25})
    with_listener = {**SUMMARY, "frame": {**SUMMARY["frame"], "dnsmos_gap": {"mean": 0.3, "std": math.nan}}}
    assert relative_scores(with_listener, "frame")["dnsmos_gap"] == 0.3
    assert relative_scores(SUMMARY, "sinc")["d_snr"] == 0.0 and relative_scores(SUMMARY, "spline")["lsd_x"] == 0.75
    assert relative_scores(SUMMARY, "frame", reference="spline")["lsd_x"] == pytest.approx(1 / 3)
    missing = relative_scores(SUMMARY, "unet")
    assert all(math.isnan(v) for v in missing.values())


def test_named_means_name_and_round_the_means_a_page_quotes():
    from srlib.tables import named_means

    summary = _summary(**{"phase-aware GAN": dict(lsd=1.4349, snr_db=12.3), "U-Net": dict(lsd=3.1651, snr_db=12.85)})
    got = named_means(summary, ["U-Net", "phase-aware GAN"], ("lsd",))
    assert got == {"u_net_lsd": 3.17, "phase_aware_gan_lsd": 1.43} and list(got) == ["u_net_lsd", "phase_aware_gan_lsd"]
    assert named_means(SUMMARY, ["frame"], ("snr_db", "lsd"), decimals=1) == {"frame_snr_db": 12.2, "frame_lsd": 1.0}


def test_differences_pooled_means_and_best_methods():
    from srlib.tables import BETTER_BASELINE, best_methods, differences, pooled_mean

    assert differences(SUMMARY, "frame", "spline", ("snr_db", "lsd")) == pytest.approx({"snr_db": 0.25, "lsd": -2.0})
    other = _summary(spline=dict(snr_db=8.0, lsd=5.0), sinc=dict(snr_db=9.0, lsd=6.0), frame=dict(snr_db=7.0, lsd=2.0))
    assert pooled_mean([SUMMARY, other], "frame", "snr_db") == pytest.approx(9.625)
    assert pooled_mean([SUMMARY, other], BETTER_BASELINE, "snr_db") == pytest.approx(10.75)
    assert best_methods(SUMMARY, ("lsd", "snr_db", "lsd_lf")) == {"lsd": "frame", "snr_db": "sinc", "lsd_lf": "sinc"}


def test_better_measures_count_only_what_the_shown_decimals_tell_apart():
    from srlib.tables import better_measures

    a = {"snr_db": 12.271, "lsd": 3.04, "pesq": 3.16, "stoi": 0.8801}
    b = {"snr_db": 12.274, "lsd": 3.16, "pesq": 3.25, "stoi": 0.8799}
    assert better_measures(a, b) == ["lsd"]  # SNR and STOI tie at two decimals
    assert better_measures(b, a) == ["pesq"]
    assert better_measures(a, b, decimals=3) == ["lsd"]  # STOI still ties at three
    assert better_measures(b, a, decimals=3) == ["snr_db", "pesq"]


def test_word_list_reads_as_prose():
    from srlib.tables import word_list

    assert word_list([]) == "none of them" and word_list([], "nowhere") == "nowhere"
    assert word_list(["LSD"]) == "LSD" and word_list(["SNR", "PESQ-WB"]) == "SNR and PESQ-WB"
    assert word_list(["SNR", "LSD", "PESQ-WB", "STOI"]) == "SNR, LSD, PESQ-WB and STOI"


def test_targets_text_says_met_or_by_how_much_it_missed():
    from srlib.tables import relative_scores, targets_text

    text = targets_text({"ktuberling, +0 dB": relative_scores(SUMMARY, "frame"),
                         "hedgewars, -20 dB": {"d_snr": 0.1, "d_pesq": -0.05, "lsd_x": 0.6}})
    first, second = text.splitlines()
    assert first == ("- **ktuberling, +0 dB**: LSD 0.25 x sinc (met); SNR -0.25 dB from the better baseline "
                     "(missed by 0.25 dB); PESQ +0.20 (met).")
    assert "LSD 0.60 x sinc (missed by 0.05)" in second and "SNR +0.10 dB from the better baseline (met)" in second
    assert "PESQ -0.05 (missed by 0.05)" in second
    assert "(met)" in targets_text({"x": {"d_snr": 0.0, "d_pesq": 0.0, "lsd_x": 0.6}}, lsd_x_max=0.6)
    heard = {"x": {"d_snr": 0.0, "d_pesq": 0.0, "lsd_x": 0.5, "dnsmos_gap": 0.1}}
    assert targets_text(heard).endswith("; DNSMOS gap closed 0.10 (missed by 0.30).")
    assert targets_text(heard, gap_min=0.1).endswith("DNSMOS gap closed 0.10 (met).")


SPAN_BASELINES = {"spline": {"pesq": 3.2, "snr_db": 15.0, "lsd": 3.0}, "sinc": {"pesq": 3.3, "snr_db": 15.5, "lsd": 4.0}}
CALIBRATION = {  # as config.json holds it: gains as strings
    "band_gain": 0.25, "edge_gain": 0.25, "n_clips": 8, "split": "val",
    "baselines": {"spline": {"pesq": 3.8, "snr_db": 21.1, "lsd": 2.56},
                  "sinc": {"pesq": 3.9, "snr_db": 22.0, "lsd": 3.45}},
    "by_gain": {"0.25": {"pesq": 3.975, "snr_db": 21.99, "lsd": 1.27},
                "1.0": {"pesq": 3.568, "snr_db": 21.38, "lsd": 0.85}},
    "by_gain_edge": {"0.25": {"pesq": 3.988, "snr_db": 22.0, "lsd": 1.29}},
    "by_span": [{"rates_hz": [4000, 8000], "band_gain": 0.15, "edge_gain": 1.0, "baselines": SPAN_BASELINES,
                 "by_gain": {"0.15": {"pesq": 3.6, "snr_db": 15.46, "lsd": 1.5}}, "by_gain_edge": {}}],
}


def test_calibration_tables_show_every_candidate_and_each_span():
    from srlib.tables import band_as_trained, calibrated_gains_table, calibration_table, chosen_gains, span_table

    assert chosen_gains(CALIBRATION) == "0.25 (edge 0.25)" and chosen_gains(CALIBRATION["by_span"][0]) == "0.15"
    assert calibration_table(CALIBRATION).splitlines() == [
        "| band gain | edge | PESQ-WB | SNR dB | LSD |", "|---:|---|---:|---:|---:|",
        "| spline | | 3.800 | 21.10 | 2.56 |", "| sinc | | 3.900 | 22.00 | 3.45 |",
        "| 0.25 | rebuilt | 3.975 | 21.99 | 1.27 |", "| 1.0 | rebuilt | 3.568 | 21.38 | 0.85 |",
        "| 0.25 | scaled | 3.988 | 22.00 | 1.29 |"]
    assert span_table(CALIBRATION).splitlines()[2:] == ["| 4000-8000 Hz | 0.15 | 3.300 / 3.600 | 15.50 / 15.46 |"]
    assert len(span_table({**CALIBRATION, "by_span": []}).splitlines()) == 2  # a one-rate model: no spans
    assert calibrated_gains_table({"m": CALIBRATION}).splitlines()[2:] == [
        "| m | 1.0 | 3.568 | 21.38 | 0.85 |", "| m | 0.25 (edge 0.25) | 3.988 | 22.00 | 1.29 |"]  # the edge scaled
    heard = {**CALIBRATION, "upper_gain": 0.5, "baselines": {"sinc": {"pesq": 3.9, "snr_db": 22.0, "lsd": 3.45,
                                                                     "dnsmos": 3.1}},
             "by_upper": {"1.0": {"by_gain": {"1.0": {"pesq": 3.5, "snr_db": 21.3, "lsd": 0.8, "dnsmos": 3.0}},
                                  "by_gain_edge": {}},
                          "0.5": {"by_gain": {"1.0": {"pesq": 3.7, "snr_db": 21.5, "lsd": 0.9, "dnsmos": 3.2}},
                                  "by_gain_edge": {}}}}
    assert calibration_table(heard).splitlines() == [
        "| band gain | edge | upper | PESQ-WB | SNR dB | LSD | DNSMOS |", "|---:|---|---|---:|---:|---:|---:|",
        "| sinc | | | 3.900 | 22.00 | 3.45 | 3.100 |", "| 1.0 | rebuilt | 1 | 3.500 | 21.30 | 0.80 | 3.000 |",
        "| 1.0 | rebuilt | 0.5 | 3.700 | 21.50 | 0.90 | 3.200 |"]
    assert band_as_trained(heard) == heard["by_upper"]["1.0"]["by_gain"]["1.0"]  # not the chosen upper gain's
    with pytest.raises(KeyError, match="as trained"):
        band_as_trained({**heard, "by_upper": {"0.5": heard["by_upper"]["0.5"]}})


def test_image_table_shows_each_share_over_all_rates_and_per_span_with_the_chosen_one_marked():
    from srlib.tables import image_table, images_text, span_table

    heard = {"sinc": {"pesq": 3.2, "snr_db": 13.0, "lsd": 4.0, "dnsmos": 2.6},
             "spline": {"pesq": 3.1, "snr_db": 13.1, "lsd": 3.0, "dnsmos": 2.65}}
    span = {"rates_hz": [4000, 6000], "band_gain": 0.7, "edge_gain": 1.0, "upper_gain": 0.1, "image_gain": 0.0,
            "baselines": heard, "by_image": {"0.0": {"pesq": 3.2, "snr_db": 13.0, "lsd": 2.0, "dnsmos": 2.7},
                                             "1.0": {"pesq": 2.9, "snr_db": 12.9, "lsd": 1.8, "dnsmos": 2.9}}}
    cal = {"band_gain": 0.5, "edge_gain": 1.0, "image_gain": 1.0, "baselines": heard, "by_span": [span],
           "by_image": span["by_image"]}
    lines = image_table(cal).splitlines()
    assert lines[0] == "| input rates | gains | PESQ-WB | SNR dB | LSD | DNSMOS |"
    # the better baseline per measure: spline's SNR and LSD, sinc's PESQ-WB, spline's DNSMOS
    assert lines[2] == "| all | 0.5 | 3.200 (3.200) | 13.00 (13.10) | 2.00 (3.00) | 2.700 (2.650) |"
    assert lines[3].startswith("| all | **0.5 (images 1.0)** | 2.900 (3.200) |")
    assert lines[4].startswith("| 4000-6000 Hz | **0.7 (upper 0.1)** |")  # the span kept no images
    assert lines[5].startswith("| 4000-6000 Hz | 0.7 (upper 0.1, images 1.0) |")
    assert len(image_table({"band_gain": 0.5, "baselines": heard}).splitlines()) == 2  # no image stage: no rows
    unheard = {k: {m: v for m, v in b.items() if m != "dnsmos"} for k, b in heard.items()}
    quiet = {**span, "baselines": unheard, "by_image": {"0.0": unheard["sinc"]}}  # a span scored without DNSMOS
    assert image_table({**cal, "by_span": [quiet]}).splitlines()[-1].endswith("| 4.00 (3.00) | - |")
    spans = [{**span, "rates_hz": [r, r + 2000], "image_gain": a} for r, a in ((4000, 0.25), (6000, 0.0), (8000, 0.0))]
    assert images_text({"by_span": spans}) == "0.25 from 4 kHz, none from 6 and 8 kHz"
    span_heard = {**span, "by_gain": {"0.7": span["by_image"]["0.0"]}, "by_gain_edge": {}}
    assert span_table({**cal, "by_span": [span_heard]}).splitlines()[2] == (  # with DNSMOS where it was measured
        "| 4000-6000 Hz | 0.7 (upper 0.1) | 3.200 / 3.200 | 13.10 / 13.00 | 2.650 / 2.700 |")


def test_spectral_vs_time_domain_names_the_best_and_leaves_out_missing_models():
    from srlib.tables import spectral_vs_time_domain

    summary = _summary(spline=dict(snr_db=23.0, lsd=3.9, lsd_hf=4.4, lsd_lf=1.8),
                       spectral=dict(snr_db=22.5, lsd=1.4, lsd_hf=1.25, lsd_lf=1.69),
                       GAN=dict(snr_db=22.5, lsd=1.2, lsd_hf=1.29, lsd_lf=0.61))
    text = spectral_vs_time_domain(summary, "spectral", 4)
    assert text.startswith("On these 4 clips the best LSD is **GAN**'s, the best LSD-HF **spectral**'s and the best "
                           "SNR **spline**'s.")
    assert "(LSD-HF 1.25) stands against the GAN's 1.29;" in text and "(1.69 against 1.80)" in text
    assert "U-Net" not in text and text.endswith("(GAN 0.61).")
    assert spectral_vs_time_domain(summary, "absent", 4).endswith("**spline**'s.")


def test_summarize_by_groups_rows_in_first_seen_order():
    from srlib.evaluate import summarize_by

    rows = [{"clip": c, "rate_hz": r, "method": "sinc", "snr_db": float(r // 1000 + i)}
            for i, c in enumerate("ab") for r in (8000, 4000)]
    got = summarize_by(rows, "rate_hz")
    assert list(got) == [8000, 4000]
    assert got[4000]["sinc"]["n"] == 2 and got[4000]["sinc"]["snr_db"]["mean"] == 4.5


def test_evaluate_rates_by_source_scores_each_source_as_evaluate_input_rates_does(noise):
    from srlib.evaluate import evaluate_input_rates, evaluate_rates_by_source, summarize

    clips = {"one": [("a", noise(8000, 0)), ("b", noise(8000, 1))], "two": [("c", noise(8000, 2))]}
    got = evaluate_rates_by_source(clips, 16000, (4000, 8000), ("spline", "sinc"), filter="random", seed=3)
    assert list(got) == [("one", 4000), ("one", 8000), ("two", 4000), ("two", 8000)]
    assert got["one", 4000]["sinc"]["n"] == 2 and got["two", 8000]["spline"]["n"] == 1
    # the second source starts again at the seed: its one clip is scored as on its own
    alone = summarize([r for r in evaluate_input_rates(clips["two"], 16000, (4000,), ("spline", "sinc"),
                                                        filter="random", seed=3)])
    assert got["two", 4000]["sinc"]["lsd"]["mean"] == alone["sinc"]["lsd"]["mean"]
    assert np.isfinite(got["one", 8000]["spline"]["snr_db"]["mean"])
