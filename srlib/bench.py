"""Benchmarks: ``python -m srlib.bench`` prints figures (it asserts nothing).

- training throughput of each U-Net preset, of the GAN (the ``small`` U-Net
  against the default discriminators) and of the spectral model (the
  profiles' 8/16/32 channels), in seconds of 16 kHz audio per second;
- inference real-time factor (seconds of output audio per second of compute)
  at 16 kHz and 44.1 kHz output for linear, spline, sinc, the U-Net, the
  GAN's generator, the spectral model (Griffin-Lim phase, 32 iterations) and
  the phase-aware spectral generator, all measured in the same run on the same signal;
- peak memory (VmHWM of a fresh process) of ``srlib upsample`` with the
  U-Net on a 1-minute and a 60-minute file (``--memory``; about a minute).

Figures depend on the machine; the notebooks and the closing notes quote
the ones measured on the 2-core CI machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def _signal(n: int, sr_hz: int, seed: int = 0) -> np.ndarray:
    t = np.arange(n) / sr_hz
    rng = np.random.default_rng(seed)
    return (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t)) / 2
            + 0.02 * rng.standard_normal(n)).astype(np.float32)


def train_throughput(presets=("tiny", "small"), patch_len: int = 8192, batch: int = 16, steps: int = 6) -> dict:
    """Seconds of audio trained per second, for each preset (after one warm-up step)."""
    import keras

    from .models.unet import build_unet

    x = np.stack([_signal(patch_len, 16000, s) for s in range(batch * steps)])[..., None]
    out = {}
    for name in presets:
        model = build_unet(name)
        model.compile(keras.optimizers.Adam(3e-4), "mse")
        model.fit(x[:batch], x[:batch], batch_size=batch, epochs=1, verbose=0)
        t0 = time.perf_counter()
        model.fit(x, x, batch_size=batch, epochs=1, verbose=0)
        out[name] = x.shape[0] * patch_len / 16000 / (time.perf_counter() - t0)
    return out


def gan_train_throughput(patch_len: int = 8192, batch: int = 16, steps: int = 6) -> float:
    """Seconds of audio per second for one GAN step (generator + discriminators, both updated)."""
    import keras

    from .models.gan import GAN, build_discriminators
    from .models.unet import build_unet

    x = np.stack([_signal(patch_len, 16000, s) for s in range(batch * steps)])[..., None]
    gan = GAN(build_unet("small"), build_discriminators())
    gan.compile(g_optimizer=keras.optimizers.Adam(1e-4), d_optimizer=keras.optimizers.Adam(1e-4))
    gan.fit(x[:batch], x[:batch], batch_size=batch, epochs=1, verbose=0)
    t0 = time.perf_counter()
    gan.fit(x, x, batch_size=batch, epochs=1, verbose=0)
    return x.shape[0] * patch_len / 16000 / (time.perf_counter() - t0)


def spectral_train_throughput(patch_len: int = 8192, batch: int = 16, steps: int = 6) -> float:
    """Seconds of 16 kHz audio per second for the spectral model's training steps (features made beforehand)."""
    import keras

    from .data.pairs import Pairs
    from .models.spectral import build_spectral_unet, high_band_mae, spectral_training_arrays
    from .train import profile_config, spectral_config

    cfg = spectral_config(profile_config("spectral", "full"))  # 16 kHz speech, the shipped model's size
    hr = np.stack([_signal(patch_len, 16000, s) for s in range(batch * steps)])
    x, y = spectral_training_arrays(Pairs(hr, hr, hr[:, ::4], np.arange(len(hr)), 16000, 4), cfg)
    model = build_spectral_unet(cfg)
    model.compile(keras.optimizers.Adam(1e-3), loss=high_band_mae(cfg.cutoff_bin))
    model.fit(x[:batch], y[:batch], batch_size=batch, epochs=1, verbose=0)
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    return x.shape[0] * patch_len / 16000 / (time.perf_counter() - t0)


def inference_rtf(duration_s: float = 30.0, ratio: int = 4) -> dict:
    """Real-time factor of each method at 16 and 44.1 kHz output: ``duration_s / compute seconds``."""
    from .interpolate import upsample_baseline
    from .inference import load_model, shipped_models
    from .models.unet import PRESETS

    out = {}
    for sr_hz in (16000, 44100):
        x_lr = _signal(int(duration_s * sr_hz / ratio), sr_hz // ratio)
        row = {}
        for method in ("linear", "spline", "sinc"):
            t0 = time.perf_counter()
            upsample_baseline(x_lr, ratio, method)
            row[method] = duration_s / (time.perf_counter() - t0)
        for name, folder in (("unet", "unet-speech-16k-r4"), ("gan", "gan-speech-16k-r4")):
            if folder in shipped_models():
                model = load_model(name)
            else:  # an untrained model of the same architecture times the same
                model = _untrained(PRESETS["small"], sr_hz, ratio)
            model.upsample_lr(x_lr)  # warm-up: traces the graph for these chunk shapes (once per shape)
            t0 = time.perf_counter()
            model.upsample_lr(x_lr)
            row[name] = duration_s / (time.perf_counter() - t0)
        for kind in ("spectral", "spectral-gan"):
            model = _spectral_model(kind, sr_hz, ratio)
            model.upsample_lr(x_lr)
            t0 = time.perf_counter()
            model.upsample_lr(x_lr)
            row[kind] = duration_s / (time.perf_counter() - t0)
        out[sr_hz] = row
    return out


def _untrained(cfg, sr_hz, ratio):
    from .models.unet import build_unet

    return _model_folder(build_unet(cfg), {"kind": "unet", "sr_hz": sr_hz, "ratio": ratio, "unet": cfg.to_dict()})


def _model_folder(network, meta: dict):
    """An untrained ``network`` written as a model folder (``meta`` -> config.json) and loaded as an SRModel."""
    import json

    from .inference import SRModel

    d = tempfile.mkdtemp()
    network.save_weights(os.path.join(d, "model.weights.h5"))
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump({**meta, "train": {}}, f)
    return SRModel(d)


def _spectral_model(kind: str, sr_hz: int, ratio: int):
    """The shipped spectral model of ``kind`` for this rate, or an untrained one of the full profile's size."""
    from dataclasses import replace

    from .inference import load_model, shipped_models
    from .models.spectral import build_spectral_unet, build_spectral_waveform_generator
    from .train import profile_config, spectral_config

    name = f"{kind}-{'speech-16k' if sr_hz == 16000 else 'music-44k'}-r{ratio}"
    if name in shipped_models():
        return load_model(name)
    cfg = spectral_config(replace(profile_config(kind, "full"), sr_hz=sr_hz, ratio=ratio))
    build = build_spectral_unet if kind == "spectral" else build_spectral_waveform_generator
    return _model_folder(build(cfg), {"kind": kind, "sr_hz": sr_hz, "ratio": ratio, "spectral": cfg.to_dict()})


def peak_memory_mb(minutes: float, method: str = "unet") -> float:
    """Peak resident memory (VmHWM, MiB) of a fresh ``srlib upsample`` process on a generated file.

    (``ru_maxrss`` would count the parent's memory inherited through fork.)
    """
    from .audio import save

    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "in.wav"), os.path.join(d, "out.wav")
        n = int(minutes * 60 * 4000)
        save(src, _signal(n, 4000), 4000)
        code = ("import sys; from srlib.cli import main; "
                f"rc = main(['upsample', {src!r}, {dst!r}, '--ratio', '4', '--model', {method!r}, '-q']); "
                "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')) / 1024); "
                "sys.exit(rc)")
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        return float(res.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m srlib.bench", description=__doc__.splitlines()[0])
    p.add_argument("--memory", action="store_true", help="also measure peak memory on 1- and 60-minute files")
    p.add_argument("--duration", type=float, default=30.0, help="seconds of audio for the inference timing")
    args = p.parse_args(argv)
    print(f"cores: {os.cpu_count()}")
    print("\ntraining throughput (s of 16 kHz audio per s, patches of 8192, batch 16)")
    for name, v in train_throughput().items():
        print(f"  {name:8s} {v:8.1f}")
    print(f"  {'gan':8s} {gan_train_throughput():8.1f}   (small U-Net + default discriminators, both players updated)")
    print(f"  {'spectral':8s} {spectral_train_throughput():8.1f}   (2-D U-Net, 8/16/32 channels, n_fft 512)")
    print(f"\ninference real-time factor (x real time, {args.duration:g} s of output, ratio 4)")
    for sr_hz, row in inference_rtf(args.duration).items():
        print(f"  {sr_hz} Hz: " + "  ".join(f"{k} {v:,.0f}x" for k, v in row.items()))
    if args.memory:
        print("\npeak memory of srlib upsample (VmHWM of a fresh process, MiB)")
        for method in ("spline", "unet", "gan"):
            print(f"  {method:7s}" + "".join(f"  {m} min: {peak_memory_mb(m, method):6.0f}" for m in (1, 60)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
