"""What a frame model's added band lacks: its level per octave and its shape frame by frame, against the original's.

Chapter 7's oracles (:mod:`srlib.oracles`) say what a listener's measure asks of the band: about the
original's level and an envelope about as fine as a formant (a few hundred hertz). This prints how far
a model's band, *as trained* (its calibrated gains and images off: :meth:`FrameConfig.uncalibrated`), is
from both, on the validation clips of its own training corpus (the clips calibration may look at; models of
one corpus are scored on the same clips;
``--split test`` reads the held-out packages, where nothing may be chosen), each made low-rate at
``--rate`` with a random filter as ``srlib calibrate`` makes them. In the 512-point STFT (hop 128)
of the model's output ``Y`` and of the original ``X``, over the bins from the cutoff ``c`` up:

- **level** per octave above the cutoff (``c..2c``, ``2c..``): ``10 log10(sum |Y|^2 / sum |X|^2)`` over
  every frame of every clip (energy-weighted, what ``band_level_db`` measures), the median of the same
  per frame (frames within 60 dB of the loudest), and its median over the loudest tenth of the
  original's frames, pooled over the clips (where the band is loud);
- **shape** in the first octave: per frame with band energy (within 30 dB of the clip's loudest
  band frame), the correlation over bins of the two log-envelopes (``|.|`` averaged over 9 bins, the
  frame's mean removed), its median over frames; beside it the same for the clip's own mean
  shape (the original's, an oracle that knows each clip's fixed colouring and nothing of its frames).

The same figures for chapter 7's oracle ``envelope, random phase`` (:func:`srlib.oracles.oracle_bands`:
the original's envelope over 9 bins with random phase, which DNSMOS hears as most of the original's band)
say what a band a listener's measure accepts scores here: a band of random phase loses level in the
inverse STFT and its measured shape wanders, so the model is compared with that, not with 0 dB and 1.

Run: ``python tools/band_diagnosis.py --rate 4000 "envelope, random phase" frame-speech-16k-4to12k MODEL_DIR``
(a minute or two a model on two cores; needs the recorded corpora).
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.ndimage import uniform_filter1d

from srlib.data import open_corpus
from srlib.degrade import make_lowres_at
from srlib.evaluate import source_clips
from srlib.inference import SRModel
from srlib.models.card import model_folder
from srlib.oracles import oracle_bands
from srlib.spectral import stft

N_FFT, HOP, ENVELOPE_BINS, SR_HZ = 512, 128, 9, 16000
#: The oracle band scored beside the models (``ORACLE`` as a model's name), and the model whose clips it takes.
ORACLE, DEFAULT = "envelope, random phase", "frame-speech-16k-4to12k"


def _db(num: float, den: float) -> float:
    return float(10 * np.log10(max(num, 1e-30) / max(den, 1e-30)))


def diagnose(model: str, rate_hz: int, *, split: str = "val", max_clips_per_source: int = 6, seed: int = 0) -> dict:
    """The band of ``model`` (a shipped name or a folder) as trained, at input ``rate_hz`` Hz: level per octave
    above the cutoff (dB re the original's) and the first octave's frame shape correlation (module docstring).
    ``model`` :data:`ORACLE` scores chapter 7's oracle band instead (the clips of the default's sources)."""
    oracle = model == ORACLE
    if oracle and SR_HZ % rate_hz:
        raise SystemExit(f"the oracle band needs an integer ratio: {SR_HZ} Hz / {rate_hz} Hz is not one")
    path = model_folder(DEFAULT if oracle else model)
    shipped = SRModel(path)
    m = SRModel(path, arch=shipped.arch.uncalibrated())
    clips = [clip for audio in source_clips(open_corpus(m.card.train["corpus"]), SR_HZ, split=split,
                                            max_clips_per_source=max_clips_per_source, seed=seed).values()
             for clip in audio]
    c = N_FFT * rate_hz // (2 * SR_HZ)
    octaves = [(c, min(2 * c, N_FFT // 2 + 1))] + ([(2 * c, N_FFT // 2 + 1)] if 2 * c < N_FFT // 2 else [])
    power = {o: ([], []) for o in octaves}  # per frame: original's, model's
    shape, fixed = [], []
    for i, (_, x) in enumerate(clips):
        x_lr = make_lowres_at(x, SR_HZ, rate_hz, "random", seed=seed + i)
        y = (oracle_bands(x, x_lr, SR_HZ // rate_hz, seed=seed + i)[ORACLE] if oracle
             else m.upsample_lr(x_lr, rate_hz))[: len(x)]
        X = np.abs(stft(x, N_FFT, HOP))
        Y = np.abs(stft(np.pad(y, (0, len(x) - len(y))), N_FFT, HOP))
        for lo, hi in octaves:
            power[lo, hi][0].append((X[lo:hi] ** 2).sum(0))
            power[lo, hi][1].append((Y[lo:hi] ** 2).sum(0))
        lo, hi = octaves[0]
        ex, ey = (np.log(uniform_filter1d(S[lo:hi], ENVELOPE_BINS, axis=0, mode="reflect") + 1e-7) for S in (X, Y))
        ex, ey = ex - ex.mean(0), ey - ey.mean(0)
        energy = (X[lo:hi] ** 2).sum(0)
        frames = np.flatnonzero(energy > 1e-3 * energy.max())
        mean_shape = ex[:, frames].mean(1)
        shape += [np.corrcoef(ex[:, t], ey[:, t])[0, 1] for t in frames]
        fixed += [np.corrcoef(ex[:, t], mean_shape)[0, 1] for t in frames]
    levels = {}
    for (lo, hi), (px, py) in power.items():
        px, py = np.concatenate(px), np.concatenate(py)
        live = px > 1e-6 * px.max()
        per_frame = 10 * np.log10((py[live] + 1e-30) / px[live])
        loud = px[live] >= np.quantile(px[live], 0.9)
        levels[f"{lo * SR_HZ // N_FFT}-{min(hi, N_FFT // 2) * SR_HZ // N_FFT} Hz"] = {
            "energy_db": _db(py.sum(), px.sum()), "median_frame_db": float(np.median(per_frame)),
            "loud_frames_db": float(np.median(per_frame[loud]))}
    return {"model": ORACLE if oracle else m.name, "rate_hz": rate_hz, "clips": len(clips), "levels": levels, "frames": len(shape),
            "shape_corr": float(np.nanmedian(shape)), "clip_mean_shape_corr": float(np.nanmedian(fixed))}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("models", nargs="+", help=f"shipped names or model folders, or {ORACLE!r}")
    p.add_argument("--rate", type=int, default=4000, help="input rate in Hz (default 4000)")
    p.add_argument("--split", default="val", choices=["val", "test"])
    p.add_argument("--max-clips", type=int, default=6, help="clips per source (default 6)")
    args = p.parse_args(argv)
    for model in args.models:
        d = diagnose(model, args.rate, split=args.split, max_clips_per_source=args.max_clips)
        what = "chapter 7's oracle band" if model == ORACLE else "band as trained"
        print(f"{model}: {args.rate} Hz input, {d['clips']} {args.split} clips, {what}")
        for octave, v in d["levels"].items():
            print(f"  level {octave}: {v['energy_db']:+.1f} dB over the clips, {v['median_frame_db']:+.1f} dB the "
                  f"median frame, {v['loud_frames_db']:+.1f} dB the loudest tenth (re the original)")
        print(f"  shape over the first octave, {d['frames']} frames: correlation with the original's "
              f"{d['shape_corr']:.2f} (the clip's own mean shape: {d['clip_mean_shape_corr']:.2f})")


if __name__ == "__main__":
    main()
