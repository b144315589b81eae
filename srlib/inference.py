"""Applying trained models: loading, chunked inference for any length, evaluation.

Chunked inference
-----------------
The U-Net is convolutional, so a long file is cut into chunks of
``chunk_len`` samples (at the high rate), each run with ``margin`` samples of
real context on both sides that are then discarded. Chunk starts and margins
are multiples of ``2 ** (depth + 1)``, so every chunk sees the same strided
grid as the whole file, and the margin is larger than the one-sided reach of
the network (:func:`reach`), so the kept part of each chunk equals whole-file
processing up to float rounding. Neighbouring chunks also overlap by ``fade``
samples and are cross-faded linearly (the two fades sum to one), so even a
model whose reach exceeded the margin could not click at a seam. Memory is
bounded by ``batch`` chunks, whatever the file length.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from .audio import resample, validate_audio, validate_ratio
from .errors import AudioError
from .interpolate import upsample_baseline
from .models.unet import pad_length

__all__ = ["SRModel", "load_model", "shipped_models", "upsample_with_model", "model_function",
           "evaluate_model_dir", "reach", "WEIGHTS_DIR"]

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
#: What ``--model unet`` means for each (target rate, ratio): the shipped folder name.
DEFAULT_MODELS = {"unet": "unet-speech-16k-r4", "gan": "gan-speech-16k-r4"}


def reach(unet_cfg) -> int:
    """One-sided reach of an AudioUNet in input samples: how far an output sample looks.

    Sum over layers of ``(kernel // 2) * (step of the grid the layer reads)``,
    plus one grid step of the deepest level for the strided alignment.
    The tests check it against :func:`srlib.models.unet.receptive_field`.
    """
    total = 0
    for level, k in enumerate(unet_cfg.kernels):
        total += (k // 2) * 2**level  # down conv l reads a grid of step 2**l
        total += (k // 2) * 2 ** (level + 2)  # up conv l reads the grid of down block l+1's output
    total += (unet_cfg.kernels[-1] // 2) * 2**unet_cfg.depth  # bottleneck
    total += 4 * 2  # output conv (kernel 9) at stride 2
    return total + 2 ** (unet_cfg.depth + 1)


class SRModel:
    """A trained model folder (``config.json`` + ``model.weights.h5``) ready for inference.

    ``config.json``'s ``kind`` says what the weights are: ``unet`` and ``gan``
    (an AudioUNet, :mod:`srlib.models.unet`), ``spectral`` (the 2-D U-Net on
    log-magnitudes, played with a Griffin-Lim phase by default,
    :class:`srlib.models.spectral.SpectralSR`) or ``spectral-gan`` (the
    phase-aware waveform generator, :func:`srlib.models.spectral.build_spectral_waveform_generator`).
    All four are applied chunk by chunk the same way (:meth:`refine`).

    Attributes
    ----------
    path : Path
    kind : str
    sr_hz : int
        Output (high) rate in Hz.
    ratio : int
    low_sr_hz : int
        Input rate the model expects, ``sr_hz // ratio``.
    phase : str
        For ``spectral`` models: the phase of :meth:`SpectralSR.reconstruct` (default ``"griffin_lim"``).
    """

    def __init__(self, path):
        self.path = Path(path)
        cfg_path = self.path / "config.json"
        weights = self.path / "model.weights.h5"
        if not cfg_path.exists() or not weights.exists():
            raise AudioError(f"{self.path}: not a model folder (needs config.json and model.weights.h5)")
        self.config = json.loads(cfg_path.read_text())
        self.name = self.path.name
        self.kind = self.config.get("kind", "unet")
        self.sr_hz = int(self.config["sr_hz"])
        self.ratio = int(self.config["ratio"])
        self.low_sr_hz = self.sr_hz // self.ratio
        self.unet_cfg = self.spectral_cfg = self.spectral = None
        self.phase = "griffin_lim"
        if self.kind in ("unet", "gan"):
            from .models.unet import UNetConfig, build_unet

            self.unet_cfg = UNetConfig.from_dict(self.config["unet"])
            self.model = build_unet(self.unet_cfg)
            self.multiple = self.unet_cfg.multiple
            self.margin = pad_length(reach(self.unet_cfg), self.multiple)
        elif self.kind in ("spectral", "spectral-gan"):
            from .models.spectral import (SpectralConfig, SpectralSR, build_spectral_unet,
                                          build_spectral_waveform_generator, spectral_reach)

            self.spectral_cfg = SpectralConfig.from_dict(self.config["spectral"])
            build = build_spectral_unet if self.kind == "spectral" else build_spectral_waveform_generator
            self.model = build(self.spectral_cfg)
            self.spectral = SpectralSR(self.model, self.spectral_cfg) if self.kind == "spectral" else None
            self.multiple = self.spectral_cfg.hop
            self.margin = pad_length(spectral_reach(self.spectral_cfg), self.multiple)
        else:
            raise AudioError(f"{self.path}: unknown model kind {self.kind!r} in config.json")
        self.model.load_weights(str(weights))
        # clips of many lengths retrace the compiled predict step; TF warns about each retrace,
        # which is expected here (one trace per input length) and only clutters notebooks
        import logging

        logging.getLogger("tensorflow").setLevel(logging.ERROR)

    def describe(self) -> str:
        """A few lines on how the model was made: kind, rates, size, data, epochs, speed, command."""
        c = self.config
        lines = [f"{self.name}: {self.kind}, {self.low_sr_hz} Hz -> {self.sr_hz} Hz, {c.get('n_params', 0):,} parameters"]
        t = c.get("train")
        if t:
            init = f", started from {c['init']}" if c.get("init") else ""
            lines.append(f"  trained on {t['corpus']} ({c.get('n_train_patches', '?')} patches of {t['patch_len']} "
                         f"samples), {t['epochs']} epochs{init}, {c.get('train_audio_s_per_s', '?')} s of audio per "
                         "second on 2 CPU cores")
        command = self.path / "command.txt"
        if command.exists():
            lines.append("  command: " + command.read_text().strip())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"SRModel({self.name!r}, {self.low_sr_hz} Hz -> {self.sr_hz} Hz, ratio {self.ratio})"

    def _run(self, batch: np.ndarray) -> np.ndarray:
        if self.spectral is not None:  # magnitudes from the network, then a phase per window
            return np.stack([self.spectral.refine(w, phase=self.phase) for w in batch])
        # predict_on_batch runs a compiled graph: 2.3x faster here than an eager model(...) call
        return np.asarray(self.model.predict_on_batch(batch[..., None]))[..., 0]

    def refine(self, x_in, *, chunk_len: int = 32768, fade: int = 256, batch: int = 4,
               progress: bool = False) -> np.ndarray:
        """Apply the network to a spline-interpolated signal, chunk by chunk.

        Chunk starts and margins are multiples of :attr:`multiple` (the U-Net's
        stride grid, or the spectral models' STFT hop, so every chunk's frames
        fall on the whole file's frame grid).

        Parameters
        ----------
        x_in : float array, shape (n_samples,)
            Input at the high rate (spline interpolation of the low-rate signal).
        chunk_len : int
            Samples kept per chunk (rounded up to a multiple of ``2 ** (depth + 1)``).
        fade : int
            Cross-fade length at each seam, in samples.
        batch : int
            Chunks per network call (memory is about ``batch`` chunks).

        Returns
        -------
        float32 array, shape (n_samples,)
        """
        from tqdm.auto import tqdm

        x_in = validate_audio(x_in)
        n = len(x_in)
        m = self.multiple
        chunk_len = pad_length(max(chunk_len, m), m)
        fade = min(pad_length(fade, m), self.margin)
        if n <= chunk_len + 2 * self.margin:  # one piece: the whole signal
            padded = np.pad(x_in, (0, pad_length(n, m) - n))
            return self._run(padded[None])[0, :n].astype(np.float32)
        starts = list(range(0, n, chunk_len))
        out = np.zeros(n, np.float32)
        weight = np.zeros(n, np.float32)
        pending = []

        def flush():
            if not pending:
                return
            # windows of one length per network call: zero-padding a short window to the
            # batch's width would differ from the file's end (biases make the padded zone non-zero)
            results = []
            for width in dict.fromkeys(len(w) for _, _, w in pending):
                group = [p for p in pending if len(p[2]) == width]
                results += zip(group, self._run(np.stack([w for _, _, w in group])))
            for (lo, s, _), y in results:
                keep_lo = max(s - fade // 2, 0)
                keep_hi = min(s + chunk_len + fade // 2, n)
                seg = y[keep_lo - lo: keep_hi - lo]
                ramp = np.ones(keep_hi - keep_lo, np.float32)
                if keep_lo > 0:
                    ramp[:fade] = np.linspace(0, 1, fade + 2, dtype=np.float32)[1:-1]
                if keep_hi < n:
                    ramp[-fade:] = np.minimum(ramp[-fade:], np.linspace(1, 0, fade + 2, dtype=np.float32)[1:-1])
                out[keep_lo:keep_hi] += seg * ramp
                weight[keep_lo:keep_hi] += ramp
            pending.clear()

        for s in tqdm(starts, desc="upsampling", unit="chunk", disable=not progress):
            lo = max(s - self.margin, 0)
            hi = min(s + chunk_len + self.margin, n)
            window = x_in[lo:hi]
            window = np.pad(window, (0, pad_length(len(window), m) - len(window)))
            pending.append((lo, s, window))
            if len(pending) == batch:
                flush()
        flush()
        return out / np.maximum(weight, 1e-12)

    def upsample_lr(self, x_lr, **kw) -> np.ndarray:
        """Super-resolve a mono low-rate signal at ``low_sr_hz``; shape (n,) -> (n * ratio,)."""
        x_lr = validate_audio(x_lr, name="x_lr")
        if x_lr.ndim != 1:
            raise AudioError(f"x_lr: expected a mono signal of shape (n_samples,), got {x_lr.shape}")
        return self.refine(upsample_baseline(x_lr, self.ratio, "spline"), **kw)


def shipped_models() -> dict:
    """Name -> folder of every model shipped inside the package."""
    if not WEIGHTS_DIR.is_dir():
        return {}
    return {p.name: p for p in sorted(WEIGHTS_DIR.iterdir()) if (p / "model.weights.h5").exists()}


@lru_cache(maxsize=8)
def _load_cached(path: str) -> SRModel:
    return SRModel(path)


def load_model(name_or_path) -> SRModel:
    """A shipped model by name (``"unet"`` or a folder name) or a model folder by path."""
    name = DEFAULT_MODELS.get(str(name_or_path), str(name_or_path))
    shipped = shipped_models()
    if name in shipped:
        return _load_cached(str(shipped[name]))
    path = Path(name_or_path)
    if path.is_dir():
        return _load_cached(str(path.resolve()))
    have = ", ".join(shipped) or "none"
    raise AudioError(f"model: {name_or_path!r} is neither a shipped model ({have}) nor a model folder")


def upsample_with_model(x, sr_hz: int, target_sr_hz: int, *, model="unet", progress: bool = False):
    """Super-resolve ``x`` (any channels) with a trained model.

    The input is resampled to the model's input rate when it is *lower*
    (nothing is lost); an input *above* it would have its upper band thrown
    away, so that is refused with a message naming the model's rates.

    Returns
    -------
    y : float32 array, shape (..., n_out) at ``model.sr_hz``
    sr_out_hz : int
    """
    m = model if isinstance(model, SRModel) else load_model(model)
    x = validate_audio(x)
    if sr_hz > m.low_sr_hz:
        raise AudioError(
            f"model {m.name} takes {m.low_sr_hz} Hz input and makes {m.sr_hz} Hz (ratio {m.ratio}); your input is "
            f"{sr_hz} Hz, so its band above {m.low_sr_hz // 2} Hz would be thrown away. Use --model sinc or spline, "
            f"or a model trained for {sr_hz} Hz input (srlib info lists the shipped ones)"
        )
    if target_sr_hz > m.sr_hz:
        raise AudioError(
            f"model {m.name} makes {m.sr_hz} Hz audio; {target_sr_hz} Hz was asked. Ask for --target-sr {m.sr_hz} "
            "or less, or use --model sinc"
        )
    if sr_hz != m.low_sr_hz:
        x = resample(x, sr_hz, m.low_sr_hz)
    if x.ndim == 1:
        return m.upsample_lr(x, progress=progress), m.sr_hz
    return np.stack([m.upsample_lr(ch, progress=progress) for ch in x]), m.sr_hz


def model_function(name, *, sr_hz: int, ratio: int):
    """``x_lr -> x_hr`` for :func:`srlib.evaluate.evaluate_clips`, after checking the model's rates."""
    m = load_model(name)
    if (m.sr_hz, m.ratio) != (int(sr_hz), validate_ratio(ratio)):
        raise AudioError(f"model {m.name} is for {m.sr_hz} Hz at ratio {m.ratio}; evaluation asked {sr_hz} Hz, ratio {ratio}")
    return m.upsample_lr


def evaluate_model_dir(path, *, quick: bool = False, max_clips: int | None = None, perceptual: bool = True,
                       progress: bool = False) -> dict:
    """Score a trained model folder on its corpus' test split; writes ``metrics.json`` and ``metrics.md``.

    Methods: lowres, linear, spline, sinc, the model it started from (its ``init``,
    under that model's kind, e.g. ``unet`` for a GAN fine-tuned from the U-Net) and
    the model itself (named by its kind: ``unet`` or ``gan``). ``perceptual`` adds
    STOI and wide-band PESQ for 16 kHz models (both are speech measures: a music
    model is scored without them).
    """
    from .data.cli import open_corpus
    from .evaluate import evaluate_clips, format_table, summarize

    path = Path(path)
    m = SRModel(path)
    train_cfg = m.config["train"]
    corpus = open_corpus(train_cfg["corpus"], quick=quick)
    clips = corpus.split("test")[:max_clips]
    data = [(Path(c.path).name, corpus.load(c, m.sr_hz)) for c in clips]
    kind = m.config.get("kind", "unet")
    models = {}
    init = m.config.get("init")
    if init and kind != "unet":
        try:
            base = load_model(init)
            models[base.config.get("kind", "unet")] = base.upsample_lr
        except AudioError:
            pass  # the starting model is gone (a deleted run folder): score the model alone
    models[kind] = m.upsample_lr
    rows = evaluate_clips(data, m.sr_hz, m.ratio, ("lowres", "linear", "spline", "sinc", *models),
                          filter=train_cfg.get("filter", "cheby1") if train_cfg.get("filter") != "random" else "cheby1",
                          models=models, perceptual=perceptual and m.sr_hz == 16000, progress=progress)
    summary = summarize(rows)
    result = {"model": m.name, "corpus": corpus.name, "split": "test", "n_clips": len(clips),
              "sr_hz": m.sr_hz, "ratio": m.ratio, "summary": summary, "per_clip": rows}
    (path / "metrics.json").write_text(json.dumps(result, indent=1))
    (path / "metrics.md").write_text(format_table(summary) + "\n")
    return result
