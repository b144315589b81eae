"""Evaluation: degrade reference clips, up-sample them with each method, score them.

The same code makes every number the book shows, ``srlib evaluate`` prints,
``srlib calibrate`` chooses by and ``srlib train`` writes into a model folder
(:func:`evaluate_model_dir`). It is one recipe, :func:`score_cases`:

1. each reference clip ``x`` at ``sr_hz`` becomes a :class:`Case` per input rate, the low-rate
   input a recording at that rate would be (:func:`cases_at_rates`; at an integer ratio,
   :func:`srlib.degrade.degrade_pair`, the recipe of the training pairs too),
2. each method (:func:`srlib.methods.get_method`: a baseline, a trained model, ``"lowres"``)
   up-samples it back to ``sr_hz``, where it serves that rate,
3. :func:`srlib.metrics.evaluate_pair` scores it against ``x``.

:func:`evaluate_clips` is the recipe at one integer ratio, :func:`evaluate_input_rates` at any
rates. ``"lowres"`` (the band-limited signal at the high rate: what you hear with no
super-resolution at all) is scored too, as the floor every method must beat.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .audio import decoded, info, load, validate_ratio
from .augment import apply_chain, check_chain
from .data import gate, open_corpus
from .degrade import degrade_pair, lowpass, make_lowres_at
from .errors import AudioError, ConfigError
from .inference import SRModel, load_model
from .lineage import TRAINED_ON, check_overlap, clip_origin, record_evaluation
from .methods import Function, Lowres, get_method
from .metrics import DNSMOS_SR_HZ, METRIC_LABELS, METRICS, dnsmos, dnsmos_gap, evaluate_pair
from .spectral import file_cutoff_hz
from .tables import markdown_table

__all__ = ["METRICS", "SUMMARY_METRICS", "TABLE_METRICS", "Case", "cases_at_rates", "score_cases", "as_methods",
           "score_without_reference", "format_without_reference",
           "evaluate_clips", "evaluate_input_rates", "summarize", "format_table",
           "evaluate_model_dir", "evaluate_sources", "source_clips", "format_sources", "summarize_by", "evaluate_rates_by_source"]


#: A summary's measures: each row metric, and after DNSMOS the share of sinc's gap to the original it closes.
SUMMARY_METRICS = tuple(k for m in METRICS for k in ((m, "dnsmos_gap") if m == "dnsmos" else (m,)))
#: The columns :func:`format_table` shows in Markdown and HTML (its CSV and JSON hold every measure).
TABLE_METRICS = tuple(k for k in SUMMARY_METRICS if k not in ("dnsmos_sig", "dnsmos_bak", "dnsmos_ref"))


def _clip_name(clip) -> str:
    """A row's ``clip``: the path of a :class:`~srlib.data.Clip`, or the name given."""
    return str(getattr(clip, "path", clip))


def _checked(lineages: dict, clips, allow_overlap: bool) -> dict:
    """:func:`srlib.lineage.check_overlap` plus the evaluation record; method -> {source: groups} it saw."""
    overlap = check_overlap({m: lin for m, lin in lineages.items() if lin is not None}, clips,
                            allow_overlap=allow_overlap)
    record_evaluation(lineages, clips, overlap)
    return overlap


def _label(method: str, clip, overlap: dict) -> str:
    """``method``, or ``"method (trained on this)"`` where the model saw ``clip``'s source and group."""
    origin = clip_origin(clip)
    if method in overlap and origin and origin[1] in overlap[method].get(origin[0], ()):
        return f"{method} ({TRAINED_ON})"
    return method


@dataclass(frozen=True, eq=False)
class Case:
    """One input an evaluation scores: ``x_lr``, what a recording of the reference ``x`` (float array of shape
    (n_samples,) at the evaluation's ``sr_hz``) at ``rate_hz`` Hz would be, made by ``filter`` with ``seed``."""

    clip: object
    x: np.ndarray
    rate_hz: float
    x_lr: np.ndarray
    filter: object = "cheby1"
    seed: int | None = None


def cases_at_rates(clips, sr_hz: int, rates_hz, *, filter="cheby1", seed: int = 0, decimate: bool = False,
                   chain: str | None = None) -> list:
    """Each clip at each input rate: one :class:`Case` per (clip, rate), clips first.

    Clip ``i`` is low-passed at ``rate / 2`` by ``filter`` (seeded ``seed + i`` for ``"random"``) and
    resampled to the rate (:func:`srlib.degrade.make_lowres_at`, any ratio). With ``decimate``, the
    rates are ``sr_hz`` over an integer ratio and the input is made as training pairs are
    (:func:`srlib.degrade.degrade_pair`: the reference trimmed to a multiple of the ratio, the
    filtered signal decimated). ``chain`` (a key of :data:`srlib.augment.CHAINS`: ``"mulaw"``,
    ``"alaw"``, ``"gsm"``, ``"mp3"``, ``"opus"``) then passes each input through that recording
    chain at its rate (:func:`srlib.augment.apply_chain`), as a phone system or an encoder would.

    Parameters
    ----------
    clips : iterable of (clip, x)
        ``clip`` a :class:`srlib.data.Clip` or a name, ``x`` float array of shape (n_samples,) at ``sr_hz``.
    """
    cases = []
    for i, (clip, x) in enumerate(clips):
        for rate in rates_hz:
            if decimate:
                ratio = validate_ratio(round(sr_hz / rate))
                ref, x_lr = degrade_pair(x, ratio, filter, seed=seed + i)
            else:
                ref, x_lr = x, make_lowres_at(x, sr_hz, int(rate), filter, seed=seed + i)
            if chain is not None:
                x_lr = apply_chain(x_lr, int(rate), chain)
            cases.append(Case(clip, ref, rate, x_lr, filter, seed + i))
    return cases


def as_methods(names, *, models: dict | None = None, lineages: dict | None = None, ratio: int | None = None) -> dict:
    """``{name: Method}`` for the names an evaluation is asked: ``models``' callables (each up-sampling by
    ``ratio``: :class:`srlib.methods.Function`, with its lineage from ``lineages`` or its card), else
    :func:`srlib.methods.get_method` of the name."""
    models, lineages = models or {}, lineages or {}
    return {name: (Function(name, getattr(models[name], "upsample_lr", models[name]), ratio, lineages.get(name))
                   if name in models else get_method(name)) for name in names}


def score_cases(cases, methods: dict, sr_hz: int, *, perceptual: bool = False, listener: bool = True,
                allow_overlap: bool = False, progress: bool = False) -> list:
    """The one evaluation recipe: each method on each :class:`Case`, scored against the case's reference.

    A method (:class:`srlib.methods.Method`) that does not serve a case's rate gives no row there;
    ``"lowres"`` is the reference low-passed at the rate's Nyquist frequency by the case's filter.
    Each output is scored by :func:`srlib.metrics.evaluate_pair`, with the HF/LF split at
    ``rate_hz / 2``. A learned method is not scored on clips of the sources and groups it trained
    or validated on unless ``allow_overlap`` (:func:`srlib.lineage.check_overlap`).

    Parameters
    ----------
    cases : sequence of Case
    methods : dict of name -> srlib.methods.Method
    sr_hz : int
        The references' (and outputs') rate in Hz.
    perceptual, listener : bool
        As for :func:`srlib.metrics.evaluate_pair`.

    Returns
    -------
    list of dict rows: ``clip``, ``rate_hz``, ``method`` and each measured key of :data:`METRICS`.

    Raises
    ------
    srlib.lineage.OverlapError
        A model would be scored on its own training or validation data.
    """
    cases = list(cases)
    clips = list({id(case.clip): case.clip for case in cases}.values())
    overlap = _checked({name: m.lineage for name, m in methods.items() if m.learned}, clips, allow_overlap)
    rows = []
    for case in tqdm(cases, desc="evaluating", unit="input", disable=not progress):
        for name, method in methods.items():
            if isinstance(method, Lowres):
                y = lowpass(case.x, sr_hz, case.rate_hz / 2, case.filter, seed=case.seed)
            elif method.refusal(case.rate_hz, sr_hz):
                continue  # this method does not take this rate (any other error is raised)
            else:
                y = method.upsample(case.x_lr, case.rate_hz, sr_hz)
            n = min(len(case.x), len(y))
            rows.append({"clip": _clip_name(case.clip), "rate_hz": case.rate_hz,
                         "method": _label(name, case.clip, overlap),
                         **evaluate_pair(case.x[:n], y[:n], sr_hz, sr_hz / case.rate_hz, perceptual=perceptual,
                                         listener=listener)})
    return rows


def evaluate_clips(clips, sr_hz: int, ratio: int, methods=("lowres", "linear", "spline", "sinc"), *,
                   filter="cheby1", seed: int = 0, models: dict | None = None, lineages: dict | None = None,
                   perceptual: bool = False, allow_overlap: bool = False, chain: str | None = None,
                   progress: bool = False):
    """Score each method on each clip at one integer ratio: :func:`score_cases` on the clips decimated as
    training pairs are (:func:`cases_at_rates` with ``decimate``).

    Parameters
    ----------
    clips : iterable of (clip, x)
        ``clip`` a :class:`srlib.data.Clip` (its source and group are checked against each model's
        lineage) or a name; ``x`` float array, shape (n_samples,), at ``sr_hz``.
    sr_hz : int
        High (target) rate in Hz.
    ratio : int
        Up-sampling factor.
    methods : sequence of str
        ``"lowres"``, baseline names (:data:`srlib.interpolate.METHODS`), keys of ``models``, or
        shipped model names and model folders (:func:`srlib.methods.get_method`).
    filter : str
        Anti-aliasing filter used to make the low-rate inputs (see :mod:`srlib.degrade`).
    seed : int
        Seed for ``filter="random"`` (clip ``i`` uses ``seed + i``).
    models : dict of name -> model, optional
        Learned models: an ``SRModel`` (or its ``upsample_lr``), or any callable mapping a low-rate
        array of n samples to n * ratio samples.
    lineages : dict of name -> srlib.lineage.Lineage, optional
        What a model of ``models`` without a card trained on (one trained in a notebook, say); a
        callable with neither has no lineage to check, and the evaluation record says so.
    perceptual : bool
        Add STOI and (16 kHz) wide-band PESQ (:func:`srlib.metrics.evaluate_pair`).
    allow_overlap : bool
        Score a model on clips of sources and groups it trained on (:func:`srlib.lineage.check_overlap`
        refuses by default); those rows' method reads ``"name (trained on this)"``.
    chain : str, optional
        A recording chain for the inputs (:func:`cases_at_rates`).

    Returns
    -------
    list of dict rows: ``clip``, ``rate_hz`` (``sr_hz / ratio``), ``method`` and each key of :data:`METRICS`.

    Raises
    ------
    srlib.lineage.OverlapError
        A model would be scored on its own training or validation data.
    """
    ratio = validate_ratio(ratio)
    rate = sr_hz // ratio if sr_hz % ratio == 0 else sr_hz / ratio
    named = as_methods(methods, models=models, lineages=lineages, ratio=ratio)
    for method in named.values():  # a method named at a ratio it cannot take is an error here, not a gap
        refusal = None if isinstance(method, Lowres) else method.refusal(rate, sr_hz)
        if refusal:
            raise AudioError(refusal)
    cases = cases_at_rates(clips, sr_hz, (rate,), filter=filter, seed=seed, decimate=True, chain=chain)
    return score_cases(cases, named, sr_hz, perceptual=perceptual, allow_overlap=allow_overlap, progress=progress)


def evaluate_input_rates(clips, sr_hz: int, rates_hz, methods=("spline", "sinc"), *, filter="cheby1", seed: int = 0,
                         perceptual: bool = False, allow_overlap: bool = False, chain: str | None = None,
                         progress: bool = False):
    """Score methods on clips made low-rate at any input rate, integer ratio or not, as ``srlib upsample`` serves them.

    For each clip ``x`` at ``sr_hz`` and each rate ``r`` of ``rates_hz``, the input is what a
    recording at ``r`` Hz would be (:func:`srlib.degrade.make_lowres_at`). Each method then makes the
    ``sr_hz`` Hz output through :func:`srlib.api.upsample` (``method=...``: a baseline at the next
    integer ratio resampled to ``sr_hz``, or a model with its own resampling), and
    :func:`srlib.metrics.evaluate_pair` scores it with the HF/LF split at ``r / 2``. A method
    that does not serve a rate (a one-rate model below its input rate) gives no row there;
    ``"lowres"`` is the low-passed clip itself. ``clips``, ``allow_overlap`` and ``chain`` as in
    :func:`evaluate_clips`: a model is not scored on its own training data.

    Returns
    -------
    list of dict rows: ``clip``, ``rate_hz``, ``method`` and each key of :data:`METRICS`.
    """
    cases = cases_at_rates(clips, sr_hz, rates_hz, filter=filter, seed=seed, chain=chain)
    return score_cases(cases, as_methods(methods), sr_hz, perceptual=perceptual, allow_overlap=allow_overlap,
                       progress=progress)


def evaluate_rates_by_source(clips_by_source: dict, sr_hz: int, rates_hz, methods=("spline", "sinc"), *,
                             filter="cheby1", seed: int = 0, perceptual: bool = False, allow_overlap: bool = False,
                             progress: bool = False) -> dict:
    """:func:`evaluate_input_rates` on each source's clips, summarized per source and input rate.

    Each source is scored on its own (clip ``i`` of a source gets the filter of ``seed + i``), as
    :func:`evaluate_sources` does at one ratio.

    Parameters
    ----------
    clips_by_source : dict
        Source -> list of (clip, float array of shape (n_samples,) at ``sr_hz``), as :func:`source_clips` gives.
    sr_hz : int
        Target rate in Hz.
    rates_hz : sequence of int
        Input rates in Hz.
    methods, filter, seed, perceptual, allow_overlap, progress
        As for :func:`evaluate_input_rates`.

    Returns
    -------
    dict ``{(source, rate_hz): summary}`` (:func:`summarize`), sources in the order given, then rates;
    a method that does not take a rate has no row in that summary.

    Chapter: 06_frame_level_model
    """
    out = {}
    for source, clips in clips_by_source.items():
        rows = evaluate_input_rates(clips, sr_hz, rates_hz, methods, filter=filter, seed=seed, perceptual=perceptual,
                                    allow_overlap=allow_overlap, progress=progress)
        by_rate = summarize_by(rows, "rate_hz")
        for rate in rates_hz:
            out[(source, int(rate))] = by_rate.get(int(rate), {})
    return out


def summarize(rows) -> dict:
    """Mean and standard deviation of each metric per method.

    Returns
    -------
    dict: method -> {metric: {"mean": float, "std": float}, "n": int}, methods in first-seen order.
    Infinite SNRs (perfect clips) are left out of the means. Where the rows hold DNSMOS and ``sinc``
    is among the methods, each method also gets ``dnsmos_gap`` (:func:`srlib.metrics.dnsmos_gap` of
    the means; its ``std`` is NaN).
    """
    out = {}
    for method in dict.fromkeys(r["method"] for r in rows):
        sel = [r for r in rows if r["method"] == method]
        entry = {"n": len(sel)}
        for key in (k for k in METRICS if k in sel[0]):
            vals = np.array([r[key] for r in sel], dtype=np.float64)
            vals = vals[np.isfinite(vals)]
            entry[key] = {"mean": float(vals.mean()) if len(vals) else math.nan,
                          "std": float(vals.std()) if len(vals) else math.nan}
        out[method] = entry
    sinc = out.get("sinc", {})
    if "dnsmos" in sinc and "dnsmos_ref" in sinc:
        for entry in out.values():
            if "dnsmos" in entry:
                entry["dnsmos_gap"] = {"mean": dnsmos_gap(entry["dnsmos"]["mean"], sinc["dnsmos"]["mean"],
                                                          sinc["dnsmos_ref"]["mean"]), "std": math.nan}
    return out


def summarize_by(rows, key: str) -> dict:
    """:func:`summarize` for each value of a row field: one summary per input rate, say.

    Parameters
    ----------
    rows : list of dict
        :func:`evaluate_clips` or :func:`evaluate_input_rates` rows.
    key : str
        The field to group by (``"rate_hz"``, ``"clip"``).

    Returns
    -------
    dict: value -> :func:`summarize` of the rows with that value, values in first-seen order.

    Examples
    --------
    >>> rows = [{"clip": "a", "rate_hz": 4000, "method": "sinc", "snr_db": 10.0},
    ...         {"clip": "a", "rate_hz": 8000, "method": "sinc", "snr_db": 20.0},
    ...         {"clip": "b", "rate_hz": 4000, "method": "sinc", "snr_db": 12.0}]
    >>> {rate: s["sinc"]["snr_db"]["mean"] for rate, s in summarize_by(rows, "rate_hz").items()}
    {4000: 11.0, 8000: 20.0}
    """
    return {value: summarize([r for r in rows if r[key] == value]) for value in dict.fromkeys(r[key] for r in rows)}


def format_table(summary: dict, fmt: str = "markdown") -> str:
    """Render :func:`summarize` output as ``markdown``, ``html``, ``csv`` or ``json``.

    ``html`` is a plain ``<table>`` (what a Jupyter Book page can paste from another page's glue).
    """
    if fmt == "json":
        return json.dumps(summary, indent=2)
    keys = [k for k in SUMMARY_METRICS if any(k in e for e in summary.values())]
    nan = {"mean": math.nan, "std": math.nan}

    def cell(e, k):  # mean ± std, or the mean alone where a measure has no spread (the DNSMOS gap)
        v = e.get(k, nan)
        return f"{v['mean']:.2f}" if math.isnan(v["std"]) and not math.isnan(v["mean"]) else \
            f"{v['mean']:.2f} ± {v['std']:.2f}"

    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["method", "n"] + [f"{k}_{s}" for k in keys for s in ("mean", "std")])
        for m, e in summary.items():
            w.writerow([m, e["n"]] + [f"{e.get(k, nan)[s]:.4f}" for k in keys for s in ("mean", "std")])
        return buf.getvalue()
    keys = [k for k in keys if k in TABLE_METRICS]
    if fmt == "html":
        head = "".join(f"<th>{html.escape(METRIC_LABELS[k])}</th>" for k in keys)
        body = "".join(
            f"<tr><td>{html.escape(m)}</td><td>{e['n']}</td>"
            + "".join(f"<td>{cell(e, k)}</td>" for k in keys) + "</tr>"
            for m, e in summary.items())
        return (f'<table class="srlib-results"><thead><tr><th>method</th><th>n</th>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table>")
    if fmt != "markdown":
        raise ConfigError(f"format: got {fmt!r}; expected markdown, html, csv or json")
    rows = [[m, e["n"], *(cell(e, k) for k in keys)]
            for m, e in summary.items()]
    return markdown_table(["method", "n", *(METRIC_LABELS[k] for k in keys)], rows, "lr" + "r" * len(keys))


def evaluate_model_dir(path, *, quick: bool = False, max_clips: int | None = None, perceptual: bool = True,
                       progress: bool = False) -> dict:
    """Score a trained model folder on its corpus' test split; writes ``metrics.json``, ``per_clip.json.gz``
    and ``metrics.md`` (:meth:`srlib.models.card.ModelCard.write_metrics`).

    Methods: lowres, linear, spline, sinc, the model it started from (its ``init``,
    under that model's kind, e.g. ``unet`` for a GAN fine-tuned from the U-Net) and
    the model itself (named by its kind). ``perceptual`` adds STOI and wide-band
    PESQ for 16 kHz models (both are speech measures: a music model is scored without them).
    The clips are made low-rate with the Chebyshev filter (a run trained on random filters too).
    Test clips pass the bandwidth gate for the model's rate (:func:`srlib.data.gate`); where the
    test split holds several sources (whole packages held out), ``metrics.json``'s ``per_source``
    and ``metrics.md`` report each on its own as well.
    """
    path = Path(path)
    m = SRModel(path)
    train_cfg = m.card.train
    corpus = open_corpus(train_cfg["corpus"], quick=quick)
    clips = gate(corpus.split("test"), m.sr_hz)[:max_clips]
    data = [(c, corpus.load(c, m.sr_hz)) for c in clips]
    named = {c.path: c for c in clips}
    models = {}
    init = m.config.get("init")
    if init:
        try:
            base = load_model(init)
        except AudioError:
            base = None  # the starting model is gone (a deleted run folder): score the model alone
        if base is not None and base.kind != m.kind:
            models[base.kind] = base
    models[m.kind] = m
    filt = train_cfg.get("filter", "cheby1")
    rows = evaluate_clips(data, m.sr_hz, m.ratio, ("lowres", "linear", "spline", "sinc", *models),
                          filter="cheby1" if filt == "random" else filt, models=models,
                          perceptual=perceptual and m.sr_hz == 16000, progress=progress)
    summary = summarize(rows)
    sources = list(dict.fromkeys(c.source for c in clips))
    for r in rows:  # name each clip by its source and file: no cache path of the machine that ran it
        clip = named[r["clip"]]
        r["clip"] = f"{clip.source}/{Path(clip.path).name}"
    per_source = {s: summarize([r for r in rows if r["clip"].startswith(f"{s}/")]) for s in sources}
    result = {"model": m.name, "corpus": corpus.name, "split": "test", "n_clips": len(clips),
              "sr_hz": m.sr_hz, "ratio": m.ratio, "summary": summary, "per_source": per_source, "per_clip": rows}
    text = format_table(summary) + "\n"
    if len(sources) > 1:  # a corpus with several test sources (held out whole): each one on its own too
        text += "".join(f"\n**{s}** ({per_source[s][m.kind]['n']} clips)\n\n{format_table(per_source[s])}\n"
                        for s in sources)
    m.card.write_metrics(result, text)
    return result


def evaluate_sources(corpus, methods, *, sr_hz: int, ratio: int, split: str = "test", levels_db=(0.0,),
                     max_clips_per_source: int | None = None, filter="random", perceptual: bool = False,
                     seed: int = 0, input_sr_hz: int | None = None, allow_overlap: bool = False,
                     chains=(None,), progress: bool = False) -> dict:
    """Score methods on each source of a corpus split, at each input level: the cross-corpus test.

    The clips of ``split`` that pass the bandwidth gate for ``sr_hz`` (:func:`srlib.data.gate`)
    are grouped by source (a whole package, say); at most ``max_clips_per_source`` of each are
    drawn (seeded, without replacement). Each clip is scaled by ``10^(level_db / 20)`` before it
    is degraded, so ``levels_db=(0, -20)`` asks whether a method still works on a recording 20 dB
    quieter (the metrics are level-free, :func:`srlib.metrics.evaluate_pair`). Each of ``chains`` (None: the
    input as made; ``"mulaw"``, ``"gsm"``, ...: through that recording chain, :func:`cases_at_rates`) gets its
    own rows, under the source named ``"source (chain)"``.

    Parameters
    ----------
    corpus : srlib.data.Corpus
    methods : sequence of str
        ``"lowres"``, baselines, shipped model names or model folders (:func:`srlib.methods.get_method`).
    sr_hz, ratio : int
        Target rate in Hz and up-sampling factor.
    input_sr_hz : int, optional
        Instead of ``ratio``: inputs at this rate in Hz, any ratio, through :func:`evaluate_input_rates`.
    allow_overlap : bool
        Score models on sources and groups they trained on too (refused by default; the rows are labelled).

    Returns
    -------
    dict ``{(source, level_db): summary}`` (:func:`summarize` of :func:`evaluate_clips`'s rows).
    """
    for chain in chains:  # before any work: a codec that does not code the input rate
        if chain is not None:
            check_chain(chain, input_sr_hz or sr_hz / validate_ratio(ratio))
    results = {}
    for source, audio in source_clips(corpus, sr_hz, split=split, max_clips_per_source=max_clips_per_source,
                                      seed=seed).items():
        for chain in chains:
            for level_db in levels_db:
                gain = 10 ** (level_db / 20)
                scaled = [(name, gain * x) for name, x in audio]
                kw = dict(filter=filter, seed=seed, perceptual=perceptual, allow_overlap=allow_overlap, chain=chain,
                          progress=progress)
                rows = (evaluate_input_rates(scaled, sr_hz, (input_sr_hz,), methods, **kw) if input_sr_hz else
                        evaluate_clips(scaled, sr_hz, ratio, methods, **kw))
                results[(source if chain is None else f"{source} ({chain})", float(level_db))] = summarize(rows)
    return results


def score_without_reference(paths, *, before: dict | None = None, listener: bool = True,
                            progress: bool = False) -> list:
    """Judge files with no original to compare with: each file's measured band edge and, for speech, DNSMOS.

    What a user has after running any tool: the output, perhaps the input, never the original.
    Each file's cutoff is :func:`srlib.spectral.file_cutoff_hz` (None: its band reaches its
    Nyquist frequency), and with ``listener`` its DNSMOS P.808 and P.835 scores
    (:func:`srlib.metrics.dnsmos`, on the file mixed to mono at 16 kHz: a speech measure).

    Parameters
    ----------
    paths : sequence of path
    before : dict path -> path, optional
        The file each was made from: its cutoff and DNSMOS are reported beside (``*_before``).

    Returns
    -------
    list of dict rows: ``file``, ``sr_hz``, ``cutoff_hz`` (float or None), the DNSMOS keys, and with
    ``before`` the file it came from (``before``) and the same with ``_before`` appended.
    """
    def measures(path) -> dict:
        with decoded(path) as readable:  # an M4A or WebM decoded once
            meta = info(readable)
            out = {"sr_hz": int(meta.samplerate), "cutoff_hz": file_cutoff_hz(readable, meta=meta, name=path)}
            if listener:
                out.update(dnsmos(load(readable, sr_hz=DNSMOS_SR_HZ)[0]))
        return out

    rows = []
    for path in tqdm(list(paths), desc="scoring", unit="file", disable=not progress):
        row = {"file": str(path), **measures(path)}
        if before and path in before:
            row.update(before=str(before[path]), **{f"{k}_before": v for k, v in measures(before[path]).items()})
        rows.append(row)
    return rows


def format_without_reference(rows) -> str:
    """:func:`score_without_reference` rows as a Markdown table, a file a line, then the means."""
    paired = any("cutoff_hz_before" in r for r in rows)
    heard = any("dnsmos" in r for r in rows)

    def khz(v):
        return "full band" if v is None else f"{v / 1000:.1f}"

    header = ["file", "rate (Hz)", *(["cutoff before (kHz)"] if paired else []), "cutoff (kHz)"]
    if heard:
        header += [*(["DNSMOS before"] if paired else []), "DNSMOS P.808", "SIG", "BAK", "OVRL"]
    lines = []
    for r in rows:
        line = [r["file"], r["sr_hz"], *([khz(r.get("cutoff_hz_before"))] if paired else []), khz(r["cutoff_hz"])]
        if heard:
            line += [*([f"{r.get('dnsmos_before', math.nan):.2f}"] if paired else []),
                     *(f"{r[k]:.2f}" for k in ("dnsmos", "dnsmos_sig", "dnsmos_bak", "dnsmos_ovrl"))]
        lines.append(line)
    if heard and len(rows) > 1:
        mean = [f"mean of {len(rows)}", "", *([""] if paired else []), ""]
        mean += [*([f"{np.nanmean([r.get('dnsmos_before', math.nan) for r in rows]):.2f}"] if paired else []),
                 *(f"{np.nanmean([r[k] for r in rows]):.2f}" for k in ("dnsmos", "dnsmos_sig", "dnsmos_bak",
                                                                       "dnsmos_ovrl"))]
        lines.append(mean)
    return markdown_table(header, lines)


def source_clips(corpus, sr_hz: int, *, split: str = "test", max_clips_per_source: int | None = None,
                 seed: int = 0) -> dict:
    """The clips of ``split`` that pass the bandwidth gate for ``sr_hz``, loaded at ``sr_hz``, grouped by source.

    At most ``max_clips_per_source`` of each source, drawn seeded and without replacement (the
    draw :func:`evaluate_sources` scores).

    Returns
    -------
    dict source -> list of (:class:`~srlib.data.Clip`, float32 array of shape (n_samples,)), sources in corpus
    order (the clip record tells an evaluation its source and group).
    """
    clips = gate(corpus.split(split), sr_hz)
    sources = list(dict.fromkeys(c.source for c in clips))
    if not sources:
        raise AudioError(f"{corpus.name}: no {split} clips pass the bandwidth gate for {sr_hz} Hz")
    out = {}
    for source in sources:
        chosen = [c for c in clips if c.source == source]
        if max_clips_per_source and len(chosen) > max_clips_per_source:
            pick = np.random.default_rng(seed).choice(len(chosen), max_clips_per_source, replace=False)
            chosen = [chosen[i] for i in sorted(pick)]
        out[source] = [(c, corpus.load(c, sr_hz)) for c in chosen]
    return out


def format_sources(results: dict, fmt: str = "markdown") -> str:
    """:func:`evaluate_sources`' results as one table per source and level (markdown), or one CSV/JSON."""
    if fmt == "json":
        return json.dumps([{"source": s, "level_db": lv, "summary": summary}
                           for (s, lv), summary in results.items()], indent=1)
    if fmt == "csv":
        parts = [format_table(summary, "csv").splitlines() for summary in results.values()]
        head = "source,level_db," + parts[0][0]
        lines = [f"{s},{lv:g},{line}" for (s, lv), p in zip(results, parts) for line in p[1:]]
        return "\n".join([head, *lines])
    blocks = []
    for (source, level_db), summary in results.items():
        n = next(iter(summary.values()))["n"]
        blocks.append(f"**{source}**, input level {level_db:+g} dB ({n} clips)\n\n{format_table(summary)}")
    return "\n\n".join(blocks)
