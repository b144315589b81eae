"""Benchmarks: ``python -m srlib.bench`` prints figures (it asserts nothing).

- training throughput of every registered kind (:mod:`srlib.models.registry`) at
  its ``full`` profile's size (versatile where the kind can be), in seconds of 16 kHz audio
  per second in a steady run, through the same :func:`srlib.train.prepare` as ``srlib train``;
- inference real-time factor (seconds of output audio per second of compute)
  at 16 kHz and 44.1 kHz output for linear, spline, sinc and every kind (its
  shipped model for the rate, else an untrained one of the same size), all
  measured in the same run on the same signal;
- a kind with a light runtime (the frame model's NumPy forward pass, its ConvNeXt
  stack in LiteRT) is timed both ways: ``frame`` (light, what ``srlib upsample``
  uses) and ``frame/keras``;
- the whole ``srlib upsample`` process with the default model on a 20-minute
  4 kHz file (start-up included; start-up alone on a 1-second file) and its peak
  memory (VmHWM of a fresh process) with each shipped alias on a 1-minute and a
  60-minute file (``--memory``; a few minutes).

Figures depend on the machine; the notebooks and the closing notes quote
the ones measured on the 2-core CI machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace

import numpy as np

from .api import auto_method
from .audio import save
from .data.pairs import Pairs
from .errors import ConfigError
from .inference import SRModel, load_model
from .interpolate import upsample_baseline
from .models.card import ModelCard, shipped_models
from .models.registry import get_kind, kind_names, shipped_aliases
from .train import prepare


def _signal(n: int, sr_hz: int, seed: int = 0) -> np.ndarray:
    t = np.arange(n) / sr_hz
    rng = np.random.default_rng(seed)
    return (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t)) / 2
            + 0.02 * rng.standard_normal(n)).astype(np.float32)


def _pairs(n_patches: int, patch_len: int, sr_hz: int, ratio: int, input_rates_hz: tuple | None = None):
    """Synthetic training pairs (the bench measures speed, not quality): hr, its spline input, its low rate.

    With ``input_rates_hz`` (low, high), each patch is given a rate drawn from the range, as a
    versatile run's pairs are (the input is still the ``ratio`` one: the cost is the same)."""
    hr = np.stack([_signal(patch_len, sr_hz, s) for s in range(n_patches)])
    lr = hr[:, ::ratio]
    pairs = Pairs(hr, upsample_baseline(lr, ratio, "spline"), lr, np.arange(n_patches), sr_hz, ratio)
    if input_rates_hz is None:
        return pairs
    rates = np.random.default_rng(0).integers(input_rates_hz[0], input_rates_hz[1] + 1, n_patches)
    return replace(pairs, lr=np.zeros((n_patches, 0), np.float32), low_sr_hz=rates)


def train_throughput(kinds=None, patch_len: int = 8192, batch: int = 16, steps: int = 6, sr_hz: int = 16000,
                     arch: dict | None = None) -> dict:
    """Seconds of audio trained per second for each kind at its ``full`` profile's size (with the fields of
    ``arch`` in place of its architecture's, as ``srlib train --arch`` sets them: one kind's), in a steady run.

    The run is made by :func:`srlib.train.prepare`, as ``srlib train`` makes it (a kind that
    starts from a trained model starts from an untrained one here: same cost). A kind that can be
    versatile is timed versatile over 4-12 kHz inputs (``--input-rates``, as the shipped frame
    models are trained: a per-example cutoff costs more than a fixed one). One epoch of ``steps``
    batches warms up (graph tracing); in a second one the clock runs from the end of its first
    batch to the end of its last, so the cost of starting an epoch (its iterator and shuffle
    buffer: a third of the frame model's epoch at 6 steps) is left out. No validation.
    """
    import keras

    class Clock(keras.callbacks.Callback):
        """The time at the end of each batch (Keras fetches a batch's logs before calling back: the batch is done)."""

        def on_train_begin(self, logs=None):
            self.ends = []

        def on_train_batch_end(self, batch, logs=None):
            self.ends.append(time.perf_counter())

    kinds = list(kinds or kind_names())
    if arch and len(kinds) != 1:
        raise ConfigError(f"arch: one kind's architecture fields; got {len(kinds)} kinds")
    out = {}
    steps = max(int(steps), 2)
    for name in kinds:
        kind = get_kind(name)
        rates = (sr_hz // 4, 3 * sr_hz // 4) if kind.input_rates else None
        pairs = _pairs(batch * steps, patch_len, sr_hz, 4, rates)
        config = replace(kind.profile("full"), init=None, input_rates_hz=rates, patch_len=patch_len,
                         stride=patch_len, batch_size=batch, sr_hz=sr_hz, ratio=4)
        if arch:
            config = replace(config, arch={**(config.arch or {}), **arch})
        run = prepare(config, pairs, pairs)
        fit_args = {k: v for k, v in run.fit_args.items() if k != "validation_data"}
        clock = Clock()
        for _ in range(2):
            run.model.fit(**fit_args, epochs=1, verbose=0, callbacks=[clock])
        out[name] = pairs.duration_s * (steps - 1) / steps / (clock.ends[-1] - clock.ends[0])
    return out


def inference_rtf(duration_s: float = 30.0, ratio: int = 4, kinds=None) -> dict:
    """Real-time factor of each baseline and each kind at 16 and 44.1 kHz output: ``duration_s / compute seconds``.

    A kind's shipped model for the rate is timed where there is one, else an untrained
    network of its ``full`` profile's size (it times the same). Each shipped versatile model (several input
    rates) at the output rate is timed too, under its folder name, at ``sr_hz / ratio`` where its range holds
    that rate, else at the nearest rate it takes (``frame-music-44k-22to40k`` at 22.05 kHz).
    """
    out = {}
    for sr_hz in (16000, 44100):
        low = sr_hz // ratio
        x_lr = _signal(int(duration_s * low), low)
        row = {}
        for method in ("linear", "spline", "sinc"):
            upsample_baseline(x_lr[:64], ratio, method)  # warm-up: sinc's first call imports scipy.signal
            t0 = time.perf_counter()
            upsample_baseline(x_lr, ratio, method)
            row[method] = duration_s / (time.perf_counter() - t0)
        for name in kinds or kind_names():
            model = model_for(name, sr_hz, ratio)
            runs = {name: (model, x_lr, low if model.input_rates_hz else None)}
            if model.runtime == "light":
                runs[f"{name}/keras"] = (type(model)(model.path, runtime="keras"), *runs[name][1:])
            for card in (_shipped_cards(name, sr_hz) if kinds is None else []):
                if card.input_rates_hz:  # told the input's rate: one it takes
                    rate = min(max(low, card.input_rates_hz[0]), card.input_rates_hz[1])
                    runs[card.name] = (load_model(card.path), x_lr if rate == low else _signal(int(duration_s * rate),
                                                                                                rate), rate)
            for label, (m, x_in, rate) in runs.items():
                m.upsample_lr(x_in, rate)  # warm-up: traces the graph for these chunk shapes (once per shape)
                t0 = time.perf_counter()
                m.upsample_lr(x_in, rate)
                row[label] = duration_s / (time.perf_counter() - t0)
        out[sr_hz] = row
    return out


def _shipped_cards(kind_name: str, sr_hz: int, ratio: int | None = None) -> list:
    """The cards of the shipped models of the kind at ``sr_hz`` (and ``ratio``: a versatile one's lowest rate's)."""
    cards = [ModelCard.read(path) for path in shipped_models().values()]
    return [c for c in cards if (c.kind, c.sr_hz) == (kind_name, sr_hz) and ratio in (None, c.ratio)]


def model_for(kind_name: str, sr_hz: int, ratio: int):
    """A shipped one-rate model of the kind for these rates, or an untrained one of its ``full`` profile's size
    (at one input rate), as an SRModel."""
    for card in _shipped_cards(kind_name, sr_hz, ratio):
        if card.input_rates_hz is None:
            return load_model(card.path)
    kind = get_kind(kind_name)
    arch = kind.architecture(replace(kind.profile("full"), sr_hz=sr_hz, ratio=ratio, input_rates_hz=None))
    with tempfile.TemporaryDirectory(prefix="srlib-bench-") as d:
        kind.build(arch).save_weights(os.path.join(d, "model.weights.h5"))
        ModelCard.create(d, {"kind": kind.name, "sr_hz": sr_hz, "ratio": ratio, kind.arch_key: arch.to_dict()})
        return SRModel(d, runtime="keras")  # Keras loads the weights now, so the folder may go


def cli_run(minutes: float, method: str | None = None) -> dict:
    """One fresh ``srlib upsample`` process (4 kHz -> 16 kHz) on a generated file of ``minutes``.

    Returns ``{"wall_s": ..., "peak_mb": ...}``: the process's wall time, start-up included
    (the file is written beforehand), and its peak resident memory (VmHWM, MiB;
    ``ru_maxrss`` would count the parent's memory inherited through fork). ``method``
    None is the default model.
    """
    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "in.wav"), os.path.join(d, "out.wav")
        save(src, _signal(int(minutes * 60 * 4000), 4000), 4000)
        model = ["--model", method] if method else []
        code = ("import sys; from srlib.cli import main; "
                f"rc = main(['upsample', {src!r}, {dst!r}, '--ratio', '4', '-q', *{model!r}]); "
                "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')) / 1024); "
                "sys.exit(rc)")
        t0 = time.perf_counter()
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        return {"wall_s": time.perf_counter() - t0, "peak_mb": float(res.stdout.strip().splitlines()[-1])}


def peak_memory_mb(minutes: float, method: str | None = None) -> float:
    """Peak resident memory (VmHWM, MiB) of a fresh ``srlib upsample`` process (:func:`cli_run`)."""
    return cli_run(minutes, method)["peak_mb"]


def report(duration_s: float = 30.0, memory: bool = False) -> None:
    """Print the bench's figures (``srlib bench``): training throughput, real-time factors of ``duration_s``
    seconds of output, the default model's whole-process speed and, with ``memory``, peak memory."""
    print(f"cores: {os.cpu_count()}")
    print("\ntraining throughput (s of 16 kHz audio per s, patches of 8192, batch 16, each kind's full profile, "
          "versatile over 4-12 kHz where the kind can be; the cost of starting an epoch left out)")
    for name, v in train_throughput().items():
        print(f"  {name:13s} {v:8.1f}")
    print(f"\ninference real-time factor (x real time, {duration_s:g} s of output, ratio 4)")
    for sr_hz, row in inference_rtf(duration_s).items():
        print(f"  {sr_hz} Hz: " + "  ".join(f"{k} {v:,.0f}x" for k, v in row.items()))
    default = auto_method(4000, 16000)
    start, whole = cli_run(1 / 60), cli_run(20)
    print(f"\nsrlib upsample, default model ({default}), whole process: start-up (1 s file) {start['wall_s']:.2f} s; "
          f"20-minute 4 kHz file {whole['wall_s']:.1f} s = {1200 / whole['wall_s']:,.0f}x real time, "
          f"peak {whole['peak_mb']:.0f} MiB")
    if memory:
        print("\npeak memory of srlib upsample (VmHWM of a fresh process, MiB)")
        for method in ("spline", *shipped_aliases()):
            print(f"  {method:7s}" + "".join(f"  {m} min: {peak_memory_mb(m, method):6.0f}" for m in (1, 60)))


if __name__ == "__main__":  # python -m srlib.bench: the same as srlib bench
    from .cli import main

    sys.exit(main(["bench", *sys.argv[1:]]))
