"""Published results of other systems, each checked in its source, and how they relate to ours.

Chapter: 07_results (section 7.3), and 09_other_families for the full-size flow and diffusion models.

Every row below was read in the file named by its source's ``checked_in`` (a file of the authors'
own repository), not copied from a secondary table. Where a paper's own tables could not be
checked (AP-BWE's, TFiLM's and AFiLM's: their repositories carry no results), nothing is quoted.

Numbers from different papers compare only under one definition, so each source carries its
data, rates, degradation and metric definition, and :func:`relative_to_baseline` expresses each
row against its own source's baseline row (SNR as a difference in dB, LSD as a ratio): the only
form in which a published number can sit beside ours.

>>> rel = {(r.model, r.rates, r.setting): r.relative for r in relative_to_baseline(published_results())}
>>> round(rel["NU-Wave", "24 -> 48 kHz (x2)", "multi-speaker"], 2)   # dB above linear interpolation
4.2
>>> round(rel["NVSR (one model for all rates)", "4 -> 44.1 kHz", "VCTK test speakers"], 2)   # x the input's LSD
0.18
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .errors import ConfigError

__all__ = ["Source", "PublishedResult", "SOURCES", "published_results", "relative_to_baseline", "published_table"]


@dataclass(frozen=True)
class Source:
    """Where a set of published numbers comes from and under which definitions.

    ``key`` is the book's bibtex key; ``checked_in`` the file (``owner/repo:path``) in which every
    number was read; ``data``, ``degradation`` and ``metric`` say what was measured and how.
    """

    key: str
    checked_in: str
    data: str
    degradation: str
    metric: str


@dataclass(frozen=True)
class PublishedResult:
    """One published number: ``model`` at ``rates`` (and ``setting``) scores ``value`` on ``metric``.

    ``metric`` is ``"snr_db"`` (higher is better) or ``"lsd"`` (lower is better); ``baseline`` names
    the row of the same source, setting and rates that :func:`relative_to_baseline` compares with
    (the source's own interpolation or unprocessed input). ``relative`` is filled in by that function.
    """

    source: str
    model: str
    rates: str
    setting: str
    metric: str
    value: float
    baseline: str
    relative: float | None = None


#: The sources, by bibtex key.
SOURCES = {s.key: s for s in (
    Source(
        key="lee2021nuwave", checked_in="maum-ai/nuwave:ERRATA.md (the corrected Table 2)",
        data="VCTK 0.92; single speaker (p225) or multi-speaker (test speakers held out)",
        degradation="the authors' low-pass filter and decimation; 'Linear' is linear interpolation",
        metric="SNR per clip, 20 log10(|y| / |y - y_hat|), averaged over clips (the errata doubles "
               "the paper's values, whose code had 10 for 20): the same definition as srlib's"),
    Source(
        key="liu2022nvsr", checked_in="haoheliu/ssr_eval:README.md (Table 1), definitions in ssr_eval/metrics.py",
        data="VCTK 0.92, test speakers p360-p364, p374, p376, s5 (training on 98 others)",
        degradation="the input band removed by zeroing STFT bins above half the input rate; "
                    "'Unprocessed' is that band-limited input itself",
        metric="LSD on 44.1 kHz output: log10 of the power ratio (floor 1e-12), magnitude STFT with "
               "2048 points and a 10 ms hop, mean over frequency inside the root, then over frames, "
               "clips and speakers. srlib's: 2048 points, hop 512, floor 1e-10 on each power"),
)}

_NUWAVE_SNR = {  # model -> (x2 single, x2 multi, x3 single, x3 multi), ERRATA.md "After"
    "Linear": (19.38, 22.2, 16.08, 17.42),
    "U-Net": (20.6, 19.72, 17.62, 21.4),
    "MU-GAN": (21.0, 24.6, 18.88, 23.4),
    "NU-Wave": (22.2, 26.4, 19.24, 24.0),
}
_NUWAVE_COLUMNS = (("24 -> 48 kHz (x2)", "single speaker"), ("24 -> 48 kHz (x2)", "multi-speaker"),
                   ("16 -> 48 kHz (x3)", "single speaker"), ("16 -> 48 kHz (x3)", "multi-speaker"))

_NVSR_LSD = {  # model -> {input rate kHz: LSD}, README Table 1 (columns 4, 8, 12 and 24 kHz)
    "Unprocessed": {4: 5.50, 8: 5.15, 12: 4.85, 24: 3.84},
    "NVSR (one model for all rates)": {4: 0.98, 8: 0.91, 12: 0.85, 24: 0.70},
    "WSRGlow (one model per rate)": {4: 1.12, 8: 0.98, 12: 0.87, 24: 0.79},
    "NU-Wave (one model per rate)": {4: 1.42, 8: 1.42, 12: 1.40, 24: 1.22},
}


def published_results() -> list[PublishedResult]:
    """Every published row, in source order (see :data:`SOURCES` for where each was checked)."""
    rows = []
    for model, values in _NUWAVE_SNR.items():
        for (rates, setting), value in zip(_NUWAVE_COLUMNS, values):
            rows.append(PublishedResult("lee2021nuwave", model, rates, setting, "snr_db", value, "Linear"))
    for model, by_rate in _NVSR_LSD.items():
        for rate_khz, value in by_rate.items():
            rows.append(PublishedResult("liu2022nvsr", model, f"{rate_khz} -> 44.1 kHz", "VCTK test speakers",
                                        "lsd", value, "Unprocessed"))
    return rows


def relative_to_baseline(rows) -> list[PublishedResult]:
    """Each row against its source's baseline row of the same rates and setting.

    SNR: ``value - baseline`` in dB (positive is better). LSD: ``value / baseline`` (below 1 is
    better). A row whose baseline is missing raises :class:`~srlib.errors.ConfigError`.
    """
    rows = list(rows)
    index = {(r.source, r.model, r.rates, r.setting, r.metric): r.value for r in rows}
    out = []
    for r in rows:
        key = (r.source, r.baseline, r.rates, r.setting, r.metric)
        if key not in index:
            raise ConfigError(f"published row {r.model!r} ({r.source}, {r.rates}): no baseline row {r.baseline!r}")
        base = index[key]
        out.append(replace(r, relative=r.value - base if r.metric == "snr_db" else r.value / base))
    return out


def published_table(rows=None) -> str:
    """Markdown table of the published rows with their relative figures and sources.

    ``rows`` defaults to :func:`published_results`; citations are MyST ``{cite}`` roles.
    """
    rows = relative_to_baseline(published_results() if rows is None else rows)
    lines = ["| source | model | rates | setting | metric | published | against the source's baseline |",
             "|---|---|---|---|---|---:|---:|"]
    for r in rows:
        rel = f"{r.relative:+.2f} dB vs {r.baseline}" if r.metric == "snr_db" else f"{r.relative:.2f} x {r.baseline}"
        metric = "SNR (dB)" if r.metric == "snr_db" else "LSD"
        lines.append(f"| {{cite}}`{r.source}` | {r.model} | {r.rates} | {r.setting} | {metric} | {r.value:.2f} | {rel} |")
    return "\n".join(lines)
