"""Evaluation: degrade reference clips, up-sample them with each method, score them.

The same code makes every number the book shows, ``srlib evaluate`` prints
and ``srlib train`` writes into a model folder (:func:`evaluate_model_dir`).
For each reference clip ``x`` at ``sr_hz``:

1. :func:`srlib.degrade.degrade_pair` trims ``x`` to a multiple of ``ratio``
   samples and makes the low-rate input (the recipe of the training pairs too),
2. each method up-samples it back to ``sr_hz``,
3. :func:`srlib.metrics.evaluate_pair` scores it against ``x``.

``"lowres"`` (the band-limited signal at the high rate: what you hear with no
super-resolution at all) is scored too, as the floor every method must beat.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math

import numpy as np

from .audio import validate_ratio
from .data import gate, open_corpus
from .degrade import degrade_pair, lowpass, make_lowres, make_lowres_at
from .errors import AudioError, ConfigError
from .inference import SRModel, load_model
from .interpolate import upsample_baseline
from .lineage import TRAINED_ON, check_overlap, clip_origin, record_evaluation
from .methods import Lowres, get_method
from .metrics import METRIC_LABELS, METRICS, dnsmos_gap, evaluate_pair
from .tables import markdown_table

__all__ = ["METRICS", "SUMMARY_METRICS", "TABLE_METRICS", "evaluate_clips", "evaluate_input_rates", "summarize", "format_table", "model_function",
           "evaluate_model_dir", "evaluate_sources", "source_clips", "format_sources", "summarize_by", "evaluate_rates_by_source"]


#: A summary's measures: each row metric, and after DNSMOS the share of sinc's gap to the original it closes.
SUMMARY_METRICS = tuple(k for m in METRICS for k in ((m, "dnsmos_gap") if m == "dnsmos" else (m,)))
#: The columns :func:`format_table` shows in Markdown and HTML (its CSV and JSON hold every measure).
TABLE_METRICS = tuple(k for k in SUMMARY_METRICS if k not in ("dnsmos_sig", "dnsmos_bak", "dnsmos_ref"))


def _card_of(model):
    """The :class:`~srlib.models.card.ModelCard` behind a model argument: an ``SRModel``, its bound
    ``upsample_lr``, or a function :func:`model_function` made; None for any other callable."""
    return getattr(model, "card", None) or getattr(getattr(model, "__self__", None), "card", None)


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


def evaluate_clips(clips, sr_hz: int, ratio: int, methods=("lowres", "linear", "spline", "sinc"), *,
                   filter="cheby1", seed: int = 0, models: dict | None = None, lineages: dict | None = None,
                   perceptual: bool = False, allow_overlap: bool = False, progress: bool = False):
    """Score each method on each clip.

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
        shipped model names and model folders (:func:`model_function`).
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

    Returns
    -------
    list of dict rows: ``clip``, ``method`` and each key of :data:`METRICS`.

    Raises
    ------
    srlib.lineage.OverlapError
        A model would be scored on its own training or validation data.
    """
    from tqdm.auto import tqdm

    models = {name: getattr(fn, "upsample_lr", fn) for name, fn in (models or {}).items()}
    lineages = {name: (lineages or {}).get(name) or getattr(_card_of(fn), "lineage", None) for name, fn in models.items()}
    kinds = {method: get_method(method) for method in methods if method not in models}  # srlib.methods tells them apart
    for method, m in kinds.items():
        if m.learned:
            models[method] = model_function(method, sr_hz=sr_hz, ratio=ratio)
            lineages[method] = m.lineage
    rows = []
    clips = list(clips)
    overlap = _checked({m: lineages[m] for m in methods if m in lineages}, [c for c, _ in clips], allow_overlap)
    for i, (clip, x) in enumerate(tqdm(clips, desc="evaluating", unit="clip", disable=not progress)):
        x, x_lr = degrade_pair(x, ratio, filter, seed=seed + i)
        for method in methods:
            if isinstance(kinds.get(method), Lowres):
                y = make_lowres(x, ratio, filter, seed=seed + i, keep_rate=True)
            elif method in models:
                y = models[method](x_lr)
            else:
                y = upsample_baseline(x_lr, ratio, method)
            rows.append({"clip": _clip_name(clip), "method": _label(method, clip, overlap),
                         **evaluate_pair(x, y[: len(x)], sr_hz, ratio, perceptual=perceptual)})
    return rows


def evaluate_input_rates(clips, sr_hz: int, rates_hz, methods=("spline", "sinc"), *, filter="cheby1", seed: int = 0,
                         perceptual: bool = False, allow_overlap: bool = False, progress: bool = False):
    """Score methods on clips made low-rate at any input rate, integer ratio or not, as ``srlib upsample`` serves them.

    For each clip ``x`` at ``sr_hz`` and each rate ``r`` of ``rates_hz``, the input is what a
    recording at ``r`` Hz would be (:func:`srlib.degrade.make_lowres_at`). Each method then makes the
    ``sr_hz`` Hz output through :func:`srlib.api.upsample` (``method=...``: a baseline at the next
    integer ratio resampled to ``sr_hz``, or a model with its own resampling), and
    :func:`srlib.metrics.evaluate_pair` scores it with the HF/LF split at ``r / 2``. A method
    that does not serve a rate (a one-rate model below its input rate) gives no row there;
    ``"lowres"`` is the low-passed clip itself. ``clips`` and ``allow_overlap`` as in :func:`evaluate_clips`:
    a model is not scored on its own training data.

    Returns
    -------
    list of dict rows: ``clip``, ``rate_hz``, ``method`` and each key of :data:`METRICS`.
    """
    from tqdm.auto import tqdm

    kinds = {m: get_method(m) for m in methods}
    rows = []
    clips = list(clips)
    overlap = _checked({name: m.lineage for name, m in kinds.items() if m.learned}, [c for c, _ in clips],
                       allow_overlap)
    for i, (clip, x) in enumerate(tqdm(clips, desc="evaluating", unit="clip", disable=not progress)):
        for rate in rates_hz:
            x_lr = make_lowres_at(x, sr_hz, rate, filter, seed=seed + i)
            for method in methods:
                m = kinds[method]
                if isinstance(m, Lowres):
                    y = lowpass(x, sr_hz, rate / 2, filter, seed=seed + i)
                elif m.refusal(int(rate), sr_hz):
                    continue  # this model does not take this rate (any other error is raised)
                else:
                    y = m.upsample(x_lr, int(rate), sr_hz)
                n = min(len(x), len(y))
                rows.append({"clip": _clip_name(clip), "rate_hz": int(rate), "method": _label(method, clip, overlap),
                             **evaluate_pair(x[:n], y[:n], sr_hz, sr_hz / rate, perceptual=perceptual)})
    return rows


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


def model_function(name, *, sr_hz: int, ratio: int):
    """``x_lr -> x_hr`` of a shipped model or model folder for :func:`evaluate_clips`, after checking its rates.

    The model must make ``sr_hz`` Hz audio at ``ratio`` (a versatile model: take ``sr_hz / ratio`` Hz
    within its input rates); the function maps a float array of shape (n_samples,) at ``sr_hz / ratio``
    Hz to shape (n_samples * ratio,) at ``sr_hz`` Hz; its ``card`` is the model's card (its lineage is checked).
    """
    from functools import partial

    m = load_model(name)
    ratio = validate_ratio(ratio)
    if m.input_rates_hz and m.sr_hz == int(sr_hz) and m.input_rates_hz[0] <= sr_hz / ratio <= m.input_rates_hz[1]:
        fn = partial(m.upsample_lr, low_sr_hz=int(sr_hz) // ratio)
    elif (m.sr_hz, m.ratio) != (int(sr_hz), ratio):
        raise AudioError(f"model {m.name} is for {m.sr_hz} Hz at ratio {m.ratio}; evaluation asked {sr_hz} Hz, "
                         f"ratio {ratio}")
    else:
        fn = partial(m.upsample_lr)
    fn.card = m.card
    return fn


def evaluate_model_dir(path, *, quick: bool = False, max_clips: int | None = None, perceptual: bool = True,
                       progress: bool = False) -> dict:
    """Score a trained model folder on its corpus' test split; writes ``metrics.json`` and ``metrics.md``.

    Methods: lowres, linear, spline, sinc, the model it started from (its ``init``,
    under that model's kind, e.g. ``unet`` for a GAN fine-tuned from the U-Net) and
    the model itself (named by its kind). ``perceptual`` adds STOI and wide-band
    PESQ for 16 kHz models (both are speech measures: a music model is scored without them).
    The clips are made low-rate with the Chebyshev filter (a run trained on random filters too).
    Test clips pass the bandwidth gate for the model's rate (:func:`srlib.data.gate`); where the
    test split holds several sources (whole packages held out), ``metrics.json``'s ``per_source``
    and ``metrics.md`` report each on its own as well.
    """
    from pathlib import Path

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
                     progress: bool = False) -> dict:
    """Score methods on each source of a corpus split, at each input level: the cross-corpus test.

    The clips of ``split`` that pass the bandwidth gate for ``sr_hz`` (:func:`srlib.data.gate`)
    are grouped by source (a whole package, say); at most ``max_clips_per_source`` of each are
    drawn (seeded, without replacement). Each clip is scaled by ``10^(level_db / 20)`` before it
    is degraded, so ``levels_db=(0, -20)`` asks whether a method still works on a recording 20 dB
    quieter (the metrics are level-free, :func:`srlib.metrics.evaluate_pair`).

    Parameters
    ----------
    corpus : srlib.data.Corpus
    methods : sequence of str
        ``"lowres"``, baselines, shipped model names or model folders (:func:`model_function`).
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
    models = {} if input_sr_hz else {m: model_function(m, sr_hz=sr_hz, ratio=ratio) for m in methods
                                     if get_method(m).learned}
    results = {}
    for source, audio in source_clips(corpus, sr_hz, split=split, max_clips_per_source=max_clips_per_source,
                                      seed=seed).items():
        for level_db in levels_db:
            gain = 10 ** (level_db / 20)
            scaled = [(name, gain * x) for name, x in audio]
            if input_sr_hz:
                rows = evaluate_input_rates(scaled, sr_hz, (input_sr_hz,), methods, filter=filter, seed=seed,
                                            perceptual=perceptual, allow_overlap=allow_overlap, progress=progress)
            else:
                rows = evaluate_clips(scaled, sr_hz, ratio, methods, filter=filter, seed=seed, models=models,
                                      perceptual=perceptual, allow_overlap=allow_overlap, progress=progress)
            results[(source, float(level_db))] = summarize(rows)
    return results


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
