"""An experiment for issue #33, not a method: the default's band plus the spline's images above the input's band.

DNSMOS P.808 scores the spline above the default on speech from 8 kHz input, though the spline adds
no band of its own: what it has above the input's Nyquist frequency are *images*, the input band
mirrored (conjugated, as aliasing mirrors it) and attenuated by its interpolation kernel. This
prints what adding ``alpha`` times those images to the calibrated default's output does, beside
spline, sinc and the default, per input rate:

    y = default(x) + alpha * HP_c(spline(x)),   HP_c = 1 - h (:func:`srlib.spectral.keep_recorded_band`)

at the input's Nyquist frequency ``c``. Each clip is made low-rate with a random filter, as
``srlib calibrate`` makes them. "gap" is DNSMOS' sinc-to-original gap closed, (m - sinc) / (ref - sinc),
pooled over the clips. ``--split val`` (the default) uses the validation clips of the default's training
sources, where a gain may be chosen (``srlib calibrate``'s listener rule would choose ``alpha``
there, per span of input rate); ``--split test --source ktuberling`` reports a held-out package, where
nothing may be chosen.

Run: ``python tools/image_band.py --rates 4000 8000 --alphas 0.25 0.5 1 --max-clips 8`` (a few minutes on
two cores; needs ``srlib[perceptual]`` and the recorded corpora).
"""

from __future__ import annotations

import argparse

import numpy as np

from srlib.data import open_corpus
from srlib.degrade import make_lowres_at
from srlib.evaluate import Case, score_cases, source_clips, summarize
from srlib.inference import load_model
from srlib.methods import Loaded, Method, get_method
from srlib.spectral import keep_recorded_band

DEFAULT = "frame-speech-16k-4to12k"


class WithImages(Method):
    """``model``'s output plus ``alpha`` times the spline's images above the input's Nyquist frequency."""

    learned = True

    def __init__(self, model: Loaded, alpha: float):
        self.model, self.alpha, self.name = model, alpha, f"default + {alpha:g} x images"

    @property
    def lineage(self):
        return self.model.lineage

    def refusal(self, sr_hz: int, target_sr_hz: int):
        return self.model.refusal(sr_hz, target_sr_hz)

    def upsample(self, x, sr_hz: int, target_sr_hz: int, *, progress: bool = False) -> np.ndarray:
        y = self.model.upsample(x, sr_hz, target_sr_hz)
        s = get_method("spline").upsample(x, sr_hz, target_sr_hz)
        return y + self.alpha * keep_recorded_band(np.zeros_like(s), s, target_sr_hz, sr_hz / 2)


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
               **{f"+{a:g} images": WithImages(default, a) for a in args.alphas}}
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
