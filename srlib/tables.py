"""Comparisons of evaluation summaries, and the Markdown tables the chapters show them in.

A *summary* is what :func:`srlib.evaluate.summarize` returns: method -> {metric: {"mean", "std"}, "n"}.
:func:`srlib.evaluate.format_table` prints one summary as it is. The chapters also set methods
against each other, and always in the same few ways:

- a model against the **better baseline**: on each measure the better of spline and sinc
  interpolation (the project's "do no harm": a model must at least match plain interpolation),
  as a difference (SNR in dB, PESQ) or, for LSD, as a multiple of sinc's (:func:`relative_scores`);
- one row per source, input rate or model, in a Markdown table (:func:`markdown_table`), with
  "-" where a method gave no score (a one-rate model at another input rate: :func:`means_text`);
- what a frame model's calibration saw and chose (:func:`calibration_table`, :func:`span_table`).

So a chapter says what it compares; these functions type the rows. Nothing here evaluates
audio: the numbers come from :mod:`srlib.evaluate`.

Chapters: 03_data_generation, 05_gan_extension, 06_frame_level_model, 08_music_super_resolution,
09_other_families.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import ConfigError
from .models.frame import gains_text

__all__ = ["BASELINES", "BETTER_BASELINE", "LOWER_IS_BETTER", "markdown_table", "mean_of", "better_baseline",
           "mean_text", "means_text", "named_means", "relative_scores", "differences", "pooled_mean", "best_methods",
           "better_measures", "word_list", "targets_text", "chosen_gains", "calibration_table", "span_table",
           "calibrated_gains_table", "spectral_vs_time_domain", "calibrated_scores", "band_as_trained"]

#: The interpolation baselines every model is held against.
BASELINES = ("spline", "sinc")
#: A method name :func:`mean_of` understands: on each measure, the better of :data:`BASELINES`.
BETTER_BASELINE = "better baseline"
#: Measures where lower is better (the log-spectral distances); higher is better for the others.
LOWER_IS_BETTER = frozenset({"lsd", "lsd_hf", "lsd_lf"})


def markdown_table(header, rows, align: str | None = None) -> str:
    """A Markdown table: a header line, an alignment line and one line per row.

    Parameters
    ----------
    header : sequence of str
        The column titles, ``n_columns`` of them.
    rows : iterable of sequences
        Each with ``n_columns`` cells, shown with ``str`` (format numbers before); an empty
        string gives a blank cell.
    align : str, optional
        One letter per column: ``"l"`` (left) or ``"r"`` (right: numbers). Default: all left.

    Returns
    -------
    str
        The table, lines joined by newlines (no newline at the end).

    Raises
    ------
    srlib.ConfigError
        ``align`` or a row does not have ``n_columns`` entries, or ``align`` has a letter other than l and r.

    Examples
    --------
    >>> print(markdown_table(["method", "SNR (dB)"], [["spline", "12.00"], ["sinc", ""]], "lr"))
    | method | SNR (dB) |
    |---|---:|
    | spline | 12.00 |
    | sinc | |
    """
    header = [str(h) for h in header]
    align = align or "l" * len(header)
    if len(align) != len(header) or set(align) - {"l", "r"}:
        raise ConfigError(f"markdown_table: align {align!r} must have one letter, l or r, for each of the "
                          f"{len(header)} columns")

    def line(cells) -> str:
        cells = [str(c) for c in cells]
        if len(cells) != len(header):
            raise ConfigError(f"markdown_table: a row has {len(cells)} cells ({cells}); expected {len(header)}")
        return "|" + "|".join(f" {c} " if c else " " for c in cells) + "|"

    rule = "|" + "".join("---|" if a == "l" else "---:|" for a in align)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def mean_of(summary: dict, method, key: str) -> float:
    """The mean of measure ``key`` for ``method`` in a summary; NaN where the summary has none.

    Parameters
    ----------
    summary : dict
        :func:`srlib.evaluate.summarize` output.
    method : str or None
        A method of the summary, or :data:`BETTER_BASELINE` (:func:`better_baseline`); None, or a
        method the summary lacks (a model that does not take this input rate), gives NaN.
    key : str
        A measure of :data:`srlib.metrics.METRICS` (``"snr_db"``, ``"lsd"``, ...).

    Returns
    -------
    float (in the measure's unit: dB for SNR).

    Examples
    --------
    >>> s = {"spline": {"n": 2, "snr_db": {"mean": 12.0, "std": 1.0}}}
    >>> mean_of(s, "spline", "snr_db"), mean_of(s, "frame", "snr_db"), mean_of(s, "spline", "pesq")
    (12.0, nan, nan)
    """
    if method == BETTER_BASELINE:
        return better_baseline(summary, key)
    try:
        return float(summary[method][key]["mean"])
    except (KeyError, TypeError):
        return math.nan


def better_baseline(summary: dict, key: str, baselines=BASELINES) -> float:
    """The better baselines' mean of ``key``: the highest, or the lowest for :data:`LOWER_IS_BETTER` measures.

    Returns
    -------
    float; NaN where the summary has none of ``baselines``.

    Examples
    --------
    >>> s = {"spline": {"snr_db": {"mean": 12.0}, "lsd": {"mean": 3.0}},
    ...      "sinc": {"snr_db": {"mean": 12.5}, "lsd": {"mean": 4.0}}}
    >>> better_baseline(s, "snr_db"), better_baseline(s, "lsd")
    (12.5, 3.0)
    """
    values = [v for v in (mean_of(summary, b, key) for b in baselines) if not math.isnan(v)]
    if not values:
        return math.nan
    return (min if key in LOWER_IS_BETTER else max)(values)


def mean_text(summary: dict, method, key: str, spec: str = ".2f") -> str:
    """:func:`mean_of` formatted with ``spec``, or ``"-"`` where there is no score.

    Parameters
    ----------
    summary : dict
        :func:`srlib.evaluate.summarize` output.
    method : str or None
        As for :func:`mean_of` (:data:`BETTER_BASELINE` too).
    key : str
        A measure (``"snr_db"``: dB; ``"lsd"``, ``"pesq"``: no unit).
    spec : str
        A format specification (``".2f"``: two decimals).

    Returns
    -------
    str: the formatted mean, or ``"-"`` (the method gave no score, e.g. a model that does not take the rate).

    Examples
    --------
    >>> mean_text({"sinc": {"lsd": {"mean": 4.0}}}, "sinc", "lsd"), mean_text({}, "frame", "lsd")
    ('4.00', '-')
    """
    value = mean_of(summary, method, key)
    return "-" if math.isnan(value) else format(value, spec)


def means_text(summary: dict, methods, key: str, spec: str = ".2f", sep: str = " / ") -> str:
    """Several methods' means of ``key`` in one cell, ``"4.84 / 1.48 / 2.32"`` (:func:`mean_text` each).

    Parameters
    ----------
    summary : dict
        :func:`srlib.evaluate.summarize` output.
    methods : sequence of str or None
        In the order shown; None or a method the summary lacks shows as ``"-"``.
    key, spec
        As for :func:`mean_text`.
    sep : str
        Put between the methods' means.

    Returns
    -------
    str

    Examples
    --------
    >>> means_text({"sinc": {"lsd": {"mean": 4.84}}, "frame": {"lsd": {"mean": 1.48}}}, ["sinc", None, "frame"], "lsd")
    '4.84 / - / 1.48'
    """
    return sep.join(mean_text(summary, m, key, spec) for m in methods)


def named_means(summary: dict, methods, keys, *, decimals: int = 2) -> dict:
    """Means to quote in prose, each named ``<method>_<measure>``: ``{"u_net_lsd": 3.16, ...}``.

    Parameters
    ----------
    summary : dict
        :func:`srlib.evaluate.summarize` output.
    methods : iterable of str
        Methods of the summary; in the name, lower case with spaces and hyphens as underscores.
    keys : iterable of str
        Measures (``"snr_db"``, ``"lsd"``, ...).
    decimals : int
        Each mean is rounded to this many decimals (Python's ``round``).

    Returns
    -------
    dict name -> float, methods outer, measures inner, in the order given.

    Examples
    --------
    >>> named_means({"U-Net": {"lsd": {"mean": 3.1634}, "snr_db": {"mean": 12.846}}}, ["U-Net"], ("lsd", "snr_db"))
    {'u_net_lsd': 3.16, 'u_net_snr_db': 12.85}
    """
    return {f"{m.replace(' ', '_').replace('-', '_').lower()}_{k}": round(mean_of(summary, m, k), decimals)
            for m in methods for k in keys}


def relative_scores(summary: dict, method: str, *, baselines=BASELINES, reference: str = "sinc") -> dict:
    """How ``method`` compares with the baselines: the three numbers the project's targets are stated in.

    Parameters
    ----------
    summary : dict
        :func:`srlib.evaluate.summarize` output holding ``method``, ``baselines`` and ``reference``.
    method : str
        The method to compare (a baseline too: its distance from the better one).
    baselines : sequence of str
        The methods whose better mean is the floor (:func:`better_baseline`).
    reference : str
        The method whose LSD the ratio ``lsd_x`` divides by.

    Returns
    -------
    dict
        ``d_snr``: SNR minus the better baseline's (dB; above 0: better); ``d_pesq``: the same for
        wide-band PESQ (NaN where the summary has no PESQ); ``lsd_x``: LSD as a multiple of the
        reference's (below 1: a spectrum closer to the original's); ``dnsmos_gap``: the share of
        sinc's DNSMOS gap to the original it closes (:func:`srlib.metrics.dnsmos_gap`). NaN where
        a score is missing.

    Examples
    --------
    >>> s = {"spline": {"snr_db": {"mean": 12.0}, "lsd": {"mean": 3.0}},
    ...      "sinc": {"snr_db": {"mean": 12.5}, "lsd": {"mean": 4.0}},
    ...      "frame": {"snr_db": {"mean": 12.25}, "lsd": {"mean": 1.0}}}
    >>> relative_scores(s, "frame")
    {'d_snr': -0.25, 'd_pesq': nan, 'lsd_x': 0.25, 'dnsmos_gap': nan}
    """
    lsd = mean_of(summary, reference, "lsd")
    return {"d_snr": mean_of(summary, method, "snr_db") - better_baseline(summary, "snr_db", baselines),
            "d_pesq": mean_of(summary, method, "pesq") - better_baseline(summary, "pesq", baselines),
            "lsd_x": mean_of(summary, method, "lsd") / lsd if lsd else math.nan,
            "dnsmos_gap": mean_of(summary, method, "dnsmos_gap")}


def differences(summary: dict, method: str, other: str, keys=("snr_db", "lsd")) -> dict:
    """``method``'s mean minus ``other``'s, for each measure of ``keys``.

    Parameters
    ----------
    summary : dict
        :func:`srlib.evaluate.summarize` output holding both methods.
    method, other : str
        Methods of the summary.
    keys : sequence of str
        Measures (``"snr_db"``, ``"lsd"``, ``"pesq"``, ...).

    Returns
    -------
    dict measure -> float, in the measure's unit (dB for SNR); NaN where either method lacks it.

    Examples
    --------
    >>> s = {"gan": {"snr_db": {"mean": 11.5}, "lsd": {"mean": 2.0}},
    ...      "unet": {"snr_db": {"mean": 12.0}, "lsd": {"mean": 3.0}}}
    >>> differences(s, "gan", "unet")
    {'snr_db': -0.5, 'lsd': -1.0}
    """
    return {k: mean_of(summary, method, k) - mean_of(summary, other, k) for k in keys}


def pooled_mean(summaries, method, key: str) -> float:
    """The mean over several summaries (one per source, say) of ``method``'s mean of ``key``.

    Parameters
    ----------
    summaries : iterable of dict
        :func:`srlib.evaluate.summarize` outputs; each counts once, whatever its number of clips.
    method : str
        A method of each summary, or :data:`BETTER_BASELINE` (the better baseline of each summary).
    key : str
        A measure (``"snr_db"``: dB).

    Returns
    -------
    float, in the measure's unit; NaN where a summary lacks the method.

    Examples
    --------
    >>> pooled_mean([{"flow": {"snr_db": {"mean": -5.0}}}, {"flow": {"snr_db": {"mean": -1.0}}}], "flow", "snr_db")
    -3.0
    """
    return float(np.mean([mean_of(s, method, key) for s in summaries]))


def best_methods(summary: dict, keys) -> dict:
    """For each measure of ``keys``, the method with the best mean (the lowest LSD, the highest SNR, ...).

    Parameters
    ----------
    summary : dict
        :func:`srlib.evaluate.summarize` output.
    keys : iterable of str
        Measures; lower is better for :data:`LOWER_IS_BETTER`, higher for the others.

    Returns
    -------
    dict measure -> method; on a tie the method listed first in the summary.

    Examples
    --------
    >>> s = {"spline": {"snr_db": {"mean": 12.0}, "lsd": {"mean": 3.0}},
    ...      "gan": {"snr_db": {"mean": 11.0}, "lsd": {"mean": 1.5}}}
    >>> best_methods(s, ("lsd", "snr_db"))
    {'lsd': 'gan', 'snr_db': 'spline'}
    """
    return {k: (min if k in LOWER_IS_BETTER else max)(summary, key=lambda m, k=k: mean_of(summary, m, k))
            for k in keys}


def better_measures(a: dict, b: dict, *, decimals: int = 2) -> list:
    """The measures in which scores ``a`` beat scores ``b``, as far as ``decimals`` decimals show.

    Parameters
    ----------
    a, b : dict
        Measure -> value (the same measures), e.g. two model cards' test means.
    decimals : int
        Values equal when rounded to this many decimals (what a table shows) are a tie, not a win.

    Returns
    -------
    list of the measures of ``a`` (in its order) where ``a`` is better: lower for :data:`LOWER_IS_BETTER`
    measures, higher for the others.

    Examples
    --------
    >>> better_measures({"snr_db": 12.27, "lsd": 3.04, "stoi": 0.881},
    ...                 {"snr_db": 12.28, "lsd": 3.16, "stoi": 0.879})
    ['lsd']
    """
    return [k for k, v in a.items()
            if round(v, decimals) != round(b[k], decimals) and (v < b[k]) == (k in LOWER_IS_BETTER)]


def word_list(items, empty: str = "none of them") -> str:
    """Items as prose: ``"A"``, ``"A and B"``, ``"A, B and C"``; ``empty`` for none.

    Parameters
    ----------
    items : iterable
        Shown with ``str``, in order.
    empty : str
        What to say when there are none.

    Returns
    -------
    str

    Examples
    --------
    >>> word_list(["SNR"]), word_list(["SNR", "LSD", "PESQ-WB"]), word_list([])
    ('SNR', 'SNR, LSD and PESQ-WB', 'none of them')
    """
    items = [str(i) for i in items]
    return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items) or empty


def targets_text(verdicts: dict, *, lsd_x_max: float = 0.55, gap_min: float = 0.4) -> str:
    """A Markdown list: for each case, a model's :func:`relative_scores` against the project's targets.

    The targets for a model worth making the default: LSD at most ``lsd_x_max`` times sinc's,
    SNR and PESQ at least those of the better of spline and sinc ("do no harm"), and, where DNSMOS
    was scored, at least ``gap_min`` of sinc's DNSMOS gap to the original closed.

    Parameters
    ----------
    verdicts : dict
        Case label (``"ktuberling, +0 dB"``) -> :func:`relative_scores` output.
    lsd_x_max : float
        The largest LSD, as a multiple of sinc's, that meets the target.
    gap_min : float
        The smallest share of the DNSMOS gap closed that meets the target.

    Returns
    -------
    str: one bullet per case, each target "met" or "missed by" how much.

    Chapter: 06_frame_level_model

    Examples
    --------
    >>> print(targets_text({"ktuberling": {"d_snr": -0.44, "d_pesq": 0.1, "lsd_x": 0.27, "dnsmos_gap": 0.25}}))
    - **ktuberling**: LSD 0.27 x sinc (met); SNR -0.44 dB from the better baseline (missed by 0.44 dB); PESQ +0.10 (met); DNSMOS gap closed 0.25 (missed by 0.15).
    """
    def status(ok, gap, unit=""):
        return "met" if ok else f"missed by {abs(gap):.2f}{unit}"

    def listener(v):
        gap = v.get("dnsmos_gap", math.nan)
        return "" if math.isnan(gap) else f"; DNSMOS gap closed {gap:.2f} ({status(gap >= gap_min, gap - gap_min)})"

    return "\n".join(
        f"- **{label}**: LSD {v['lsd_x']:.2f} x sinc ({status(v['lsd_x'] <= lsd_x_max, v['lsd_x'] - lsd_x_max)}); "
        f"SNR {v['d_snr']:+.2f} dB from the better baseline ({status(v['d_snr'] >= 0, v['d_snr'], ' dB')}); "
        f"PESQ {v['d_pesq']:+.2f} ({status(v['d_pesq'] >= 0, v['d_pesq'])}){listener(v)}."
        for label, v in verdicts.items())


def chosen_gains(calibration: dict) -> str:
    """The gains a calibration (or one of its spans) chose, as ``srlib calibrate`` prints them: ``"0.25 (edge 0.25)"``.

    Parameters
    ----------
    calibration : dict
        :func:`srlib.calibration.calibrate_band_gain`'s result, one of its ``by_span`` entries, or either
        as a model's ``config.json`` holds it (``band_gain``, ``edge_gain``: factors on the added band's magnitude).

    Returns
    -------
    str: the band gain, with the edge gain where it is not 1 (:func:`srlib.models.frame.gains_text`).

    Examples
    --------
    >>> chosen_gains({"band_gain": 0.3}), chosen_gains({"band_gain": 0.25, "edge_gain": 0.25})
    ('0.3', '0.25 (edge 0.25)')
    """
    return gains_text(calibration["band_gain"], calibration.get("edge_gain", 1.0), calibration.get("upper_gain", 1.0),
                      calibration.get("image_gain", 0.0))


def _upper_tables(calibration: dict) -> dict:
    """{upper gain: {"by_gain", "by_gain_edge"}}: the tables of every upper gain a calibration (or span) tried."""
    if "by_upper" in calibration:
        return {float(u): tables for u, tables in calibration["by_upper"].items()}
    return {float(calibration.get("upper_gain", 1.0)): calibration}


def band_as_trained(calibration: dict) -> dict:
    """The validation means of the band as trained (band, edge and upper gain 1) that a calibration scored.

    Parameters
    ----------
    calibration : dict
        :func:`srlib.calibration.calibrate_band_gain`'s result, one of its ``by_span`` entries, or either as
        ``config.json`` holds it (gains as strings); it tried gain 1 at upper gain 1.

    Returns
    -------
    dict: {"pesq", "snr_db", "lsd"(, "dnsmos")}: means, as :func:`calibrated_scores`.

    Examples
    --------
    >>> band_as_trained({"band_gain": 0.5, "by_gain": {"0.5": {"lsd": 2.0}, "1.0": {"lsd": 1.0}}})
    {'lsd': 1.0}
    """
    tables = _upper_tables(calibration)
    if 1.0 not in tables:
        raise KeyError(f"this calibration tried upper gains {sorted(tables)} only, not the band as trained (1.0)")
    return _at_gain(tables[1.0]["by_gain"], 1.0)


def calibration_table(calibration: dict) -> str:
    """Every candidate a calibration scored: the baselines, then each band gain with the edge rebuilt, then scaled
    (per upper gain, where it tried several; with DNSMOS, where its rule was the listener's).

    Parameters
    ----------
    calibration : dict
        :func:`srlib.calibration.calibrate_band_gain`'s result (or as ``config.json`` holds it), of a
        16 kHz model: its means hold wide-band PESQ.

    Returns
    -------
    str: a Markdown table, columns band gain (or baseline), edge, upper gain (where it tried several, or one
    other than 1), PESQ-WB, SNR (dB), LSD and DNSMOS P.808 (where it measured it): validation means.

    Chapter: 06_frame_level_model

    Examples
    --------
    >>> cal = {"baselines": {"sinc": {"pesq": 3.9, "snr_db": 22.0, "lsd": 3.45}},
    ...        "by_gain": {"0.25": {"pesq": 3.975, "snr_db": 21.99, "lsd": 1.27}}, "by_gain_edge": {}}
    >>> print(calibration_table(cal))
    | band gain | edge | PESQ-WB | SNR dB | LSD |
    |---:|---|---:|---:|---:|
    | sinc | | 3.900 | 22.00 | 3.45 |
    | 0.25 | rebuilt | 3.975 | 21.99 | 1.27 |
    """
    uppers = _upper_tables(calibration)
    show_upper = len(uppers) > 1 or 1.0 not in uppers
    heard = all("dnsmos" in v for v in calibration["baselines"].values())
    rows = [(name, "", "", v) for name, v in calibration["baselines"].items()]
    for u, tables in uppers.items():
        for edge, table in (("rebuilt", tables["by_gain"]), ("scaled", tables.get("by_gain_edge", {}))):
            rows += [(g, edge, f"{u:g}", v) for g, v in table.items()]
    header = ["band gain", "edge", *(["upper"] if show_upper else []), "PESQ-WB", "SNR dB", "LSD",
              *(["DNSMOS"] if heard else [])]
    lines = [[g, edge, *([u] if show_upper else []), f"{v['pesq']:.3f}", f"{v['snr_db']:.2f}", f"{v['lsd']:.2f}",
              *([f"{v['dnsmos']:.3f}"] if heard else [])] for g, edge, u, v in rows]
    return markdown_table(header, lines, "rl" + "l" * show_upper + "rrr" + "r" * heard)


def span_table(calibration: dict) -> str:
    """A versatile model's calibration per span of input rate: the gains it uses there, against the better baseline.

    Parameters
    ----------
    calibration : dict
        :func:`srlib.calibration.calibrate_band_gain`'s result of a 16 kHz versatile model (its ``by_span``).

    Returns
    -------
    str: a Markdown table, one row per span (none for a one-rate model): input rates (Hz), gain, and
    PESQ-WB, SNR (dB) and DNSMOS P.808 (where it was measured) as "better baseline / model" (validation means).

    Chapter: 06_frame_level_model
    """
    heard = all("dnsmos" in v for v in calibration["baselines"].values())
    keys = (("pesq", ".3f"), ("snr_db", ".2f"), *((("dnsmos", ".3f"),) if heard else ()))
    rows = []
    for span in calibration.get("by_span", []):
        best = {k: max(v[k] for v in span["baselines"].values()) for k, _ in keys}
        chosen = calibrated_scores(span)
        rows.append([f"{span['rates_hz'][0]}-{span['rates_hz'][1]} Hz", chosen_gains(span),
                     *(f"{best[k]:{spec}} / {chosen[k]:{spec}}" for k, spec in keys)])
    return markdown_table(["input rates", "gain", "PESQ-WB: better baseline / model",
                           "SNR dB: better baseline / model",
                           *(["DNSMOS: better baseline / model"] if heard else [])], rows, "lrll" + "l" * heard)


def image_table(calibration: dict) -> str:
    """The image stage of a calibration: each share of the spline's images it tried on top of the gains chosen,
    over all input rates and per span, against the better baseline.

    Parameters
    ----------
    calibration : dict
        :func:`srlib.calibration.calibrate_band_gain`'s result of a 16 kHz model (or as ``config.json`` holds it),
        run with ``image_gains``: its ``by_image`` and each span's.

    Returns
    -------
    str: a Markdown table, one row per (scope, image gain): input rates ("all", or a span in Hz), the gains
    (:func:`chosen_gains`, the chosen image gain in bold), PESQ-WB, SNR (dB) and LSD, and DNSMOS P.808 where it
    was measured, each as "model (better baseline)": validation means ("-" in a scope that did not measure it).
    Empty (its header) without an image stage.

    Chapter: 06_frame_level_model

    Examples
    --------
    >>> cal = {"band_gain": 0.5, "image_gain": 0.5,
    ...        "baselines": {"sinc": {"pesq": 3.2, "snr_db": 13.0, "lsd": 4.0, "dnsmos": 2.6}},
    ...        "by_image": {"0.0": {"pesq": 3.3, "snr_db": 13.0, "lsd": 2.0, "dnsmos": 2.7},
    ...                     "0.5": {"pesq": 3.2, "snr_db": 13.0, "lsd": 1.9, "dnsmos": 2.8}}}
    >>> print(image_table(cal))
    | input rates | gains | PESQ-WB | SNR dB | LSD | DNSMOS |
    |---|---|---:|---:|---:|---:|
    | all | 0.5 | 3.300 (3.200) | 13.00 (13.00) | 2.00 (4.00) | 2.700 (2.600) |
    | all | **0.5 (images 0.5)** | 3.200 (3.200) | 13.00 (13.00) | 1.90 (4.00) | 2.800 (2.600) |
    """
    scopes = [("all", calibration)] + [(f"{s['rates_hz'][0]}-{s['rates_hz'][1]} Hz", s)
                                       for s in calibration.get("by_span", [])]
    heard = all("dnsmos" in v for v in calibration["baselines"].values())
    measures = (("pesq", ".3f"), ("snr_db", ".2f"), ("lsd", ".2f"), *((("dnsmos", ".3f"),) if heard else ()))
    rows = []
    for scope, cal in scopes:
        # the better baseline per measure (LSD: lower is better), where every baseline of the scope has it
        best = {k: (min if k == "lsd" else max)(v[k] for v in cal["baselines"].values())
                if all(k in v for v in cal["baselines"].values()) else None for k, _ in measures}
        chosen = float(cal.get("image_gain", 0.0))
        for a, v in sorted(((float(a), v) for a, v in cal.get("by_image", {}).items())):
            gains = chosen_gains({**cal, "image_gain": a})
            rows.append([scope, f"**{gains}**" if a == chosen else gains,
                         *(f"{v[k]:{spec}} ({best[k]:{spec}})" if k in v and best[k] is not None else "-"
                           for k, spec in measures)])
    return markdown_table(["input rates", "gains", "PESQ-WB", "SNR dB", "LSD", *(["DNSMOS"] if heard else [])],
                          rows, "ll" + "rrr" + "r" * heard)


def images_text(calibration: dict) -> str:
    """The image gains a versatile model's calibration chose per span, in words (spans with the same gain joined).

    Parameters
    ----------
    calibration : dict
        :func:`srlib.calibration.calibrate_band_gain`'s result (or as ``config.json`` holds it) with ``by_span``.

    Returns
    -------
    str: e.g. "1.0 from 4 and 6 kHz, none from 8 and 10 kHz" (each span named by its lowest input rate; the
    shares written as :func:`chosen_gains` writes them).

    Examples
    --------
    >>> spans = [{"rates_hz": [r, r + 2000], "image_gain": a} for r, a in ((4000, 0.5), (6000, 0.5), (8000, 0.0))]
    >>> images_text({"by_span": spans})
    '0.5 from 4 and 6 kHz, none from 8 kHz'
    """
    groups = []  # [(gain, [lowest rates, kHz])], consecutive spans of one gain together
    for span in calibration["by_span"]:
        gain = float(span.get("image_gain", 0.0))
        if groups and groups[-1][0] == gain:
            groups[-1][1].append(f"{span['rates_hz'][0] / 1000:g}")
        else:
            groups.append((gain, [f"{span['rates_hz'][0] / 1000:g}"]))
    return ", ".join(f"{gain if gain else 'none'} from {word_list(rates)} kHz" for gain, rates in groups)


def calibrated_gains_table(calibrations: dict) -> str:
    """Per model, what calibration saw at the full band (gain 1.0) and at the gains it chose.

    Parameters
    ----------
    calibrations : dict
        Model name -> its calibration (:func:`srlib.calibration.calibrate_band_gain`'s result, or as
        ``config.json`` holds it, gains as strings) of a 16 kHz frame model.

    Returns
    -------
    str: a Markdown table, two rows per model, the band as trained (:func:`band_as_trained`) and at the
    gains chosen: band gain, PESQ-WB, SNR (dB) and LSD (validation means pooled over the input rates).

    Chapter: 06_frame_level_model
    """
    rows = [[name, gain, f"{v['pesq']:.3f}", f"{v['snr_db']:.2f}", f"{v['lsd']:.2f}"]
            for name, cal in calibrations.items()
            for gain, v in (("1.0", band_as_trained(cal)), (chosen_gains(cal), calibrated_scores(cal)))]
    return markdown_table(["model", "band gain", "PESQ-WB", "SNR dB", "LSD"], rows, "lrrrr")


def spectral_vs_time_domain(summary: dict, spectral: str, n_clips: int, time_domain=("U-Net", "GAN")) -> str:
    """What a summary says about a spectral model against the time-domain networks, in words.

    The methods with the best LSD, LSD-HF and SNR; then, where the summary holds ``spectral`` and
    any of ``time_domain``, their LSD-HF (the band they add) and their LSD-LF against the spline's
    (a spectral model copies the input's low band, anti-aliasing roll-off included, which the
    time-domain networks learn to undo).

    Parameters
    ----------
    summary : dict
        :func:`srlib.evaluate.summarize` output with a ``"spline"`` row.
    spectral : str
        The spectral model's method name in ``summary``.
    n_clips : int
        The number of clips the summary is over (said in the text).
    time_domain : sequence of str
        The time-domain models' method names (those missing from ``summary`` are left out).

    Returns
    -------
    str (Markdown).

    Chapter: 08_music_super_resolution
    """
    best = best_methods(summary, ("lsd", "lsd_hf", "snr_db"))
    text = (f"On these {n_clips} clips the best LSD is **{best['lsd']}**'s, the best LSD-HF **{best['lsd_hf']}**'s "
            f"and the best SNR **{best['snr_db']}**'s.")
    timed = [k for k in time_domain if k in summary]
    if spectral in summary and timed:
        text += (f" The spectral model's high band (LSD-HF {mean_of(summary, spectral, 'lsd_hf'):.2f}) stands "
                 "against "
                 + ", ".join(f"the {k}'s {mean_of(summary, k, 'lsd_hf'):.2f}" for k in timed)
                 + f"; its LSD-LF stays near the spline's ({mean_of(summary, spectral, 'lsd_lf'):.2f} against "
                 f"{mean_of(summary, 'spline', 'lsd_lf'):.2f}) because it copies the input's low band, anti-aliasing "
                 "roll-off just below the cutoff included, which the time-domain networks learn to undo ("
                 + ", ".join(f"{k} {mean_of(summary, k, 'lsd_lf'):.2f}" for k in timed) + ").")
    return text


def calibrated_scores(calibration: dict) -> dict:
    """The validation means {"pesq", "snr_db", "lsd"} of the gains that :func:`calibrate_band_gain` chose, from
    its result, one of its ``by_span`` entries or either as ``config.json`` holds it (keys as strings); with an
    image gain, the scores with those images (``by_image``)."""
    if calibration.get("image_gain"):
        return _at_gain(calibration["by_image"], calibration["image_gain"])
    edge = calibration.get("edge_gain", 1.0)
    table = calibration["by_gain"] if edge == 1.0 else calibration["by_gain_edge"]
    return _at_gain(table, calibration["band_gain"])


def _at_gain(table: dict, gain: float) -> dict:
    """``table``'s entry for ``gain``, keyed by the float (a result) or its string (as ``config.json`` holds it)."""
    return table[gain] if gain in table else table[str(gain)]
