"""Calibration: how much band a trained model adds, chosen on validation clips by a rule.

A model's kind says what it can tune (:attr:`srlib.models.kind.ModelKind.tunables`); the frame kinds
scale the band they add (``band_gain``) and the edge they rebuild below the cutoff (``edge_gain``),
per span of input rate for a versatile model (``band_gains``). :func:`calibrate_band_gain` chooses them
on the *validation* split of the model's own training sources (never a held-out one) by the project's
"do no harm" rule against the better of spline and sinc, or by a listener's rule (the best DNSMOS near
it), and writes them into the model folder through its card. ``srlib calibrate`` runs it; chapter 6 shows what it chose and why.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from .data import open_corpus
from .degrade import make_lowres_at
from .errors import ConfigError
from .evaluate import Case, score_cases, source_clips, summarize
from .inference import SRModel
from .methods import Loaded, get_method
from .models.frame import gains_text

__all__ = ["BAND_GAINS", "UPPER_GAINS", "IMAGE_GAINS", "RULES", "RULE_NAMES", "LISTENER_TOLERANCE",
           "calibrate_band_gain"]

#: The gains :func:`calibrate_band_gain` tries on the added band's magnitude.
BAND_GAINS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.5, 0.7, 1.0)
#: The upper gains :func:`calibrate_band_gain` tries by default: the band above twice the cutoff as trained.
UPPER_GAINS = (1.0,)
#: The image gains :func:`calibrate_band_gain` tries by default: no images (0), as trained.
IMAGE_GAINS = (0.0,)
#: How :func:`calibrate_band_gain` chooses: ``no_harm`` the most band at no loss of PESQ-WB and SNR;
#: ``listener`` the best DNSMOS P.808 within :data:`LISTENER_TOLERANCE` of them.
RULES = ("no_harm", "listener")
#: Each rule in words, as the book names it (a calibration without a ``rule`` entry was ``no_harm``).
RULE_NAMES = {"no_harm": "the no-harm rule (PESQ-WB and SNR at least the better baseline's)",
              "listener": "the listener's rule (the best DNSMOS near the better baseline's PESQ-WB and SNR)"}
#: The ``listener`` rule's allowance below the better baseline: PESQ-WB points and SNR in dB.
LISTENER_TOLERANCE = {"pesq": 0.1, "snr_db": 0.3}


def calibrate_band_gain(path, *, gains=BAND_GAINS, max_clips_per_source: int = 30, seed: int = 0, spans: int = 4,
                        rule: str = "no_harm", upper_gains=UPPER_GAINS, image_gains=IMAGE_GAINS,
                        write: bool = True, progress: bool = False) -> dict:
    """Choose a frame model's ``band_gain`` on its corpus' *validation* split: the most band that does no harm.

    The band a model adds is far closer to the original's than nothing is (its LSD says so), but
    its phase is only partly right, and PESQ and SNR count a loud band of the wrong phase as error:
    a quieter band can score better than the band as trained. So the magnitude of the added band is
    scaled by each ``g`` of ``gains``, each once with the transition bins below the cutoff (where
    the model rebuilds the edge of the recorded band) as trained and once scaled by ``g`` too
    (``edge_gain``: the rebuilt edge helps a low cutoff and costs SNR at a high one). The
    candidate with the most band whose mean wide-band PESQ *and* SNR are at least those of the
    better of spline and sinc (the project's "do no harm") is kept: the largest ``g``, the edge
    rebuilt before the edge scaled at the same ``g``; the most band, lowest LSD, that costs nothing.
    Where no candidate does no harm, the one with the best PESQ is kept. At a rate other than
    16 kHz (music at 44.1 kHz), where wide-band PESQ is not defined, the rule is the same on SNR
    alone (the fallback: the best SNR). Only validation clips of the training sources are used
    (the test split, whole held-out packages, is never looked at): at most
    ``max_clips_per_source`` per source, seeded, each made low-rate with a random filter at the
    model's input rate, the baselines run as ``srlib upsample`` runs them.

    ``rule="listener"`` chooses as a listener would, at 16 kHz: among the candidates whose PESQ-WB
    and SNR are within :data:`LISTENER_TOLERANCE` of the better baseline (0.1 PESQ-WB, 0.3 dB), the
    one with the best mean DNSMOS P.808 (:func:`srlib.metrics.dnsmos`, which hears a plausible band
    where PESQ-WB penalises any band that differs from the original); where none is within, the
    best PESQ-WB. Away from 16 kHz it is the ``no_harm`` rule.

    A versatile model's range is cut into ``spans`` equal spans of input rate, and every clip is
    made low-rate once in each, at a rate drawn from it. The rule then runs per span too, and
    ``band_gains`` (:class:`srlib.models.frame.FrameConfig`) holds each span's gains: one gain for
    all rates is what the pooled means allow, and they hide harm at some rates (a band above a
    5.5 kHz cutoff is less predictable than one above 2 kHz). ``band_gain`` and ``edge_gain`` are the
    pooled choice.

    Each of ``upper_gains`` (:attr:`srlib.models.frame.FrameConfig.upper_gain`, 0 to 1) scales the band
    from twice the cutoff up, where a model guesses most (its first octave continues what was
    recorded), on top of every candidate's gain: the candidates are every (gain, edge gain, upper
    gain), ranked by band, the upper gain first (1: as trained). At an input rate of half the output
    rate or more there is no band above twice the cutoff, and the upper gain changes
    nothing there: the rule keeps the most band, 1.

    Then the images (:attr:`srlib.models.frame.FrameConfig.image_gain`): on top of the gains chosen
    (pooled, and per span), each of ``image_gains`` (0 to 1; 0: none) adds that share of the spline's
    images of the input, and the same rule chooses among them: the listener's the best DNSMOS within
    its tolerance, ``no_harm`` the largest share that does no harm (0 where none passes; among equal
    DNSMOS the fewest images). A second stage, not a fourth dimension of the first: each image gain
    costs two scorings of the clips (pooled, then per span), not one per candidate.

    With ``write``, ``config.json`` gets the chosen gains in the model's architecture and
    a ``calibration`` entry (what this returns).

    Returns
    -------
    dict: ``rule``, ``band_gain``, ``edge_gain``, ``upper_gain`` (only where it is not 1), ``image_gain`` (only
    where it is not 0), ``by_image`` (with more than one image gain: {image gain: means}, 0 the gains chosen
    without images), ``by_gain``
    {gain: {"pesq", "snr_db", "lsd", "dnsmos": means}} (no ``pesq`` or ``dnsmos`` away from 16 kHz, no
    ``dnsmos`` with ``no_harm``; the edge rebuilt; at the chosen upper gain), ``by_gain_edge`` (the
    same with the edge scaled, gains below 1), ``by_upper`` (with more than one upper gain: {upper
    gain: {"by_gain", "by_gain_edge"}}), ``baselines`` (the same for spline and sinc), ``n_clips``
    (low-rate inputs scored), ``split``; for a versatile model also ``band_gains`` [[span's lowest
    rate, gain, edge gain(, upper gain where not 1 or an image gain follows)(, image gain where not 0)], ...]
    and ``by_span`` [{"rates_hz", "band_gain", "edge_gain", "upper_gain", "image_gain", "by_gain",
    "by_gain_edge", ("by_image",) "baselines"}, ...].
    """
    uppers = sorted({float(u) for u in upper_gains}, reverse=True)  # the most band first
    if not uppers or not all(0.0 <= u <= 1.0 for u in uppers):  # before anything is loaded
        raise ConfigError(f"upper_gain: got {list(upper_gains)}; expected gains from 0 to 1")
    images = sorted({float(a) for a in image_gains} | {0.0})  # none first: the gains chosen as they are
    if not all(0.0 <= a <= 1.0 for a in images):
        raise ConfigError(f"image_gains: got {list(image_gains)}; expected gains from 0 to 1")
    if not len(gains) or not all(0.0 < float(g) <= 1.0 for g in gains):
        raise ConfigError(f"gains: got {list(gains)}; expected band gains above 0 and at most 1")
    path = Path(path)
    m = SRModel(path)
    if not {"band_gain", "edge_gain"} <= set(m.model_kind.tunables):
        raise ConfigError(f"calibrate: {m.name} is a {m.kind} model; calibration scales the band that a model "
                          "with a band_gain (frame) adds")
    if rule not in RULES:
        raise ConfigError(f"rule: got {rule!r}; expected one of {', '.join(RULES)}")
    keys = ("pesq", "snr_db") if m.sr_hz == 16000 else ("snr_db",)  # must do no harm; the first is the fallback
    listener = rule == "listener" and m.sr_hz == 16000
    tolerance = LISTENER_TOLERANCE if listener else dict.fromkeys(keys, 0.0)
    measured = (*keys, "lsd", *(("dnsmos",) if listener else ()))
    low, high = m.input_rates_hz or (m.low_sr_hz, m.low_sr_hz)
    edges = np.linspace(low, high, (spans if m.input_rates_hz else 1) + 1).round().astype(int)
    rng = np.random.default_rng(seed)
    clips = [clip for audio in source_clips(open_corpus(m.card.train["corpus"]), m.sr_hz, split="val",
                                            max_clips_per_source=max_clips_per_source, seed=seed).values()
             for clip in audio]
    cases, span_of = [], []  # one low-rate input per clip and span, at a rate drawn from the span
    for i, (clip, x) in enumerate(clips):
        for j, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
            rate = int(rng.integers(a, b + 1))
            cases.append(Case(clip, x, rate, make_lowres_at(x, m.sr_hz, rate, "random", seed=seed + i), "random",
                              seed + i))
            span_of.append(j)

    def score(method, span=None) -> list:
        """Per case (of ``span``; None: all): the measures of ``method`` (the evaluation's one recipe, on the
        model's own validation clips by design: what calibration may look at)."""
        picked = [case for case, j in zip(cases, span_of) if span in (None, j)]
        rows = score_cases(picked, {"candidate": method}, m.sr_hz, perceptual="pesq" in keys, listener=listener,
                           allow_overlap=True)
        assert len(rows) == len(picked), "a candidate refused one of its own rates"
        return [{k: v for k, v in r.items() if k in measured} for r in rows]

    def mean_of(rows) -> dict:
        got = summarize([{"method": "m", **r} for r in rows])["m"]  # clips PESQ cannot score (NaN) are left out
        return {k: got[k]["mean"] for k in measured}

    def means(rows, span=None) -> dict:
        return mean_of([r for j, r in zip(span_of, rows) if span in (None, j)])

    def better_of(base) -> dict:
        """The floor each candidate must reach: per measure, the better baseline's mean."""
        return {k: max(v[k] for v in base.values()) for k in keys}

    def choose(span=None) -> tuple:
        """The rule on the inputs of ``span`` (None: all): ((gain, edge gain, upper gain), {upper gain:
        (by_gain, by_gain_edge)}, baselines).

        Candidates in order of band, most first: by upper gain, then by gain, each with the edge rebuilt
        (edge gain 1), then with the edge scaled alike."""
        base = {b: means(rows, span) for b, rows in baseline_rows.items()}
        floor = better_of(base)
        tables = {u: ({g: means(rows, span) for g, rows in gain_rows[u].items()},
                      {g: means(rows, span) for g, rows in edge_rows[u].items()}) for u in uppers}
        ranked = [(g, e, u, v) for u, (by, by_edge) in tables.items() for g in sorted(by, reverse=True)
                  for e, v in ((1.0, by[g]), (g, by_edge.get(g))) if v is not None]
        allowed = [r for r in ranked if all(r[3][k] >= floor[k] - tolerance[k] for k in floor)]
        if listener and allowed:
            best = max(allowed, key=lambda r: r[3]["dnsmos"])[:3]  # the first of equals: the most band
        else:
            best = allowed[0][:3] if allowed else max(ranked, key=lambda r: r[3][keys[0]])[:3]
        return best, tables, base

    baseline_rows = {b: score(get_method(b)) for b in ("spline", "sinc")}
    gain_rows = {u: {} for u in uppers}  # upper gain -> gain -> rows with the edge rebuilt
    edge_rows = {u: {} for u in uppers}  # the same with the edge scaled by the gain too
    for u in uppers:
        for g in sorted(float(g) for g in gains):
            for rows, edge in ((gain_rows[u], 1.0), (edge_rows[u], g)):
                if rows is edge_rows[u] and g == 1.0:
                    continue  # the same as the edge rebuilt
                arch = replace(m.arch.uncalibrated(), band_gain=g, edge_gain=edge, upper_gain=u)
                rows[g] = score(Loaded(f"band_gain {g}", SRModel(path, arch=arch)))

    def by_upper(tables) -> dict:
        """What the result keeps of every upper gain's tables (nothing for one upper gain)."""
        return ({"by_upper": {u: {"by_gain": by, "by_gain_edge": by_edge} for u, (by, by_edge) in tables.items()}}
                if len(uppers) > 1 else {})

    def choose_image(chosen, tables, span=None) -> tuple:
        """The rule among the image gains on top of ``chosen`` (gain, edge gain, upper gain) for the inputs
        of ``span``: (image gain, {image gain: means}), the table empty with one image gain."""
        g, e, u = chosen
        table = {0.0: tables[u][0 if e == 1.0 else 1][g]}
        if len(images) == 1:
            return 0.0, {}
        for a in images[1:]:
            arch = replace(m.arch.uncalibrated(), band_gain=g, edge_gain=e, upper_gain=u, image_gain=a)
            table[a] = mean_of(score(Loaded(f"image_gain {a}", SRModel(path, arch=arch)), span))
        floor = better_of({b: means(rows, span) for b, rows in baseline_rows.items()})
        allowed = [a for a, v in table.items() if all(v[k] >= floor[k] - tolerance[k] for k in floor)]
        if not allowed:
            return 0.0, table
        return (max(allowed, key=lambda a: table[a]["dnsmos"]) if listener else max(allowed)), table

    (best, edge, upper), tables, baselines = choose()
    image, by_image = choose_image((best, edge, upper), tables)
    by_gain, by_gain_edge = tables[upper]
    if progress:
        floor = better_of(baselines)
        for label, table in (("", by_gain), (" (edge scaled too)", by_gain_edge)):
            for g, v in table.items():  # at the chosen upper gain
                pesq = (f"PESQ-WB {v['pesq']:.3f}, ", f"PESQ-WB {floor['pesq']:.3f}, ") if "pesq" in keys else ("", "")
                print(f"band_gain {g}{label}: {pesq[0]}SNR {v['snr_db']:.2f} dB, LSD {v['lsd']:.2f} "
                      f"(better baseline: {pesq[1]}SNR {floor['snr_db']:.2f} dB)")
    result = {"rule": rule if listener else "no_harm", "band_gain": best, "edge_gain": edge,
              **({"upper_gain": upper} if upper != 1.0 else {}), **({"image_gain": image} if image else {}),
              **({"by_image": by_image} if by_image else {}), "by_gain": by_gain,
              "by_gain_edge": by_gain_edge, **by_upper(tables), "baselines": baselines, "n_clips": len(cases),
              "split": "val"}
    arch = replace(m.arch.uncalibrated(), band_gain=best, edge_gain=edge, upper_gain=upper, image_gain=image)
    if m.input_rates_hz:
        by_span = []
        for j, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
            (g, e, u), tables, base = choose(j)
            im, table = choose_image((g, e, u), tables, j)
            by_span.append({"rates_hz": [int(a), int(b)], "band_gain": g, "edge_gain": e, "upper_gain": u,
                            "image_gain": im, "by_gain": tables[u][0], "by_gain_edge": tables[u][1],
                            **by_upper(tables), **({"by_image": table} if table else {}), "baselines": base})
            if progress:
                print(f"input rates {a}-{b} Hz: {gains_text(g, e, u, im)}")

        def step(s) -> list:
            """A span's entry of band_gains, its trailing as-trained gains left off (as FrameConfig writes it)."""
            tail = [s["upper_gain"], s["image_gain"]]
            while tail and tail[-1] == (1.0, 0.0)[len(tail) - 1]:
                tail.pop()
            return [s["rates_hz"][0], s["band_gain"], s["edge_gain"], *tail]

        result.update(band_gains=[step(s) for s in by_span], by_span=by_span)
        arch = replace(arch, band_gains=result["band_gains"])
    if write:
        m.card.update(**{m.model_kind.arch_key: arch.to_dict(), "calibration": json.loads(json.dumps(result))})
    return result
