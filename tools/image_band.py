"""What an image gain would do to the default: its band plus a share of the spline's images above the input's band.

DNSMOS P.808 scores the spline above the default on speech from 8 kHz input, though the spline adds
no band of its own: what it has above the input's Nyquist frequency are *images*, the input band
mirrored (conjugated, as aliasing mirrors it) and attenuated by its interpolation kernel. This
prints what adding ``alpha`` times those images to the calibrated default's output does, beside
spline, sinc and the default, per input rate:

    y = default(x) + alpha * HP_c(spline(x))   (:func:`srlib.interpolate.spline_images`)

with ``HP_c`` the crossover's high-pass at the input's Nyquist frequency ``c``: the default with
``FrameConfig.image_gain`` alpha at every input rate, its calibrated gains kept. Each clip is made
low-rate with a random filter, as ``srlib calibrate`` makes them. "gap" is DNSMOS' sinc-to-original gap closed, (m - sinc) / (ref - sinc),
pooled over the clips. ``--split val`` (the default) uses the validation clips of the default's training
sources, where a gain may be chosen (``srlib calibrate --image-gains`` chooses ``alpha`` there, per
span of input rate, by its rule); ``--split test --source ktuberling`` reports a held-out package, where
nothing may be chosen.

Run: ``python tools/image_band.py --rates 4000 8000 --alphas 0.25 0.5 1 --max-clips 8`` (a few minutes on
two cores; needs ``srlib[perceptual]`` and the recorded corpora).
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

from srlib.data import open_corpus
from srlib.degrade import make_lowres_at
from srlib.evaluate import Case, score_cases, source_clips, summarize
from srlib.inference import SRModel, load_model
from srlib.methods import Loaded, get_method

DEFAULT = "frame-speech-16k-4to12k"


def with_images(model, alpha: float) -> Loaded:
    """``model`` (an :class:`SRModel`) with image gain ``alpha`` at every input rate, its other gains kept."""
    arch = model.arch
    steps = tuple((*step[:4], alpha) for step in arch.band_gains or ())
    arch = replace(arch, image_gain=alpha, band_gains=steps or None)
    return Loaded(f"+{alpha:g} images", SRModel(model.path, arch=arch))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rates", type=int, nargs="+", default=[4000, 8000], help="input rates, Hz")
    parser.add_argument("--alphas", type=float, nargs="+", default=[0.25, 0.5, 1.0], help="image gains")
    parser.add_argument("--max-clips", type=int, default=8, help="clips per source")
    parser.add_argument("--split", choices=("val", "test"), default="val")
    parser.add_argument("--source", help="one source (package) only")
    args = parser.parse_args()
    default = Loaded("default", load_model(DEFAULT))
    sources = source_clips(open_corpus(default.network.card.train["corpus"]), 16000, split=args.split,
                           max_clips_per_source=args.max_clips, seed=0)
    clips = [clip for source, audio in sources.items() if args.source in (None, source) for clip in audio]
    cases = [Case(clip, x, rate, make_lowres_at(x, 16000, rate, "random", seed=i), "random", i)
             for i, (clip, x) in enumerate(clips) for rate in args.rates]
    methods = {"spline": get_method("spline"), "sinc": get_method("sinc"), "default": default,
               **{f"+{a:g} images": with_images(default.network, a) for a in args.alphas}}
    rows = score_cases(cases, methods, 16000, perceptual=True, listener=True, allow_overlap=True, progress=True)
    print("| input | method | PESQ-WB | SNR dB | LSD | DNSMOS P.808 | gap closed |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for rate in args.rates:
        at = [r for r in rows if r["rate_hz"] == rate]
        ref = float(np.mean([r["dnsmos_ref"] for r in at if r["method"] == "sinc"]))
        summary = summarize(at)
        sinc = summary["sinc"]["dnsmos"]["mean"]
        for method, v in summary.items():
            gap = (v["dnsmos"]["mean"] - sinc) / (ref - sinc)
            print(f"| {rate / 1000:g} kHz | {method} | {v['pesq']['mean']:.3f} | {v['snr_db']['mean']:.2f} | "
                  f"{v['lsd']['mean']:.2f} | {v['dnsmos']['mean']:.3f} | {gap:+.0%} |")


if __name__ == "__main__":
    main()
