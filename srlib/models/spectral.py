"""A spectral-domain super-resolution model and the phase problem it leaves.

Time-frequency networks (TFNet, Lim et al. 2018) predict the missing high band
as a *spectrogram* instead of a waveform. This module holds a compact version:

1. the low-rate signal is spline-interpolated to the high rate (as for the
   U-Net) and its STFT taken: ``X_in`` of shape ``(frames, bins)``;
2. a small 2-D U-Net over (time, frequency) maps ``log |X_in|`` to
   ``log |X|`` as a residual, ``log |X_hat| = log |X_in| + f(log |X_in|)``,
   trained with the mean absolute error of the log-magnitude in the bins above
   the low-rate Nyquist frequency (the low band is kept from the input);
3. a **phase** must be chosen for the predicted high-band magnitudes before the
   inverse STFT (:data:`PHASES`):

   - ``"input"``: the spline input's own phase in those bins (nearly empty
     bins: their phase is whatever the interpolation's leakage has);
   - ``"mirror"``: the low band's phase reflected about the cutoff bin, the
     way spectral folding in classical bandwidth extension copies it up;
   - ``"griffin_lim"``: Griffin-Lim iterations (Griffin & Lim 1984) that keep
     the predicted magnitudes and the input's low band fixed and let the high
     band's phase become consistent with them, starting from ``"mirror"``.

   A phase learned adversarially (Hu et al. 2020) is the next step; it is not
   built here.

The STFT uses ``n_fft`` samples (Hann window, centred frames); the network sees
the first ``n_fft / 2`` bins (the Nyquist bin is copied from the input), so the
frequency axis halves cleanly at each level.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..audio import validate_audio
from ..errors import AudioError

__all__ = ["SpectralConfig", "PHASES", "build_spectral_unet", "log_magnitude_features", "SpectralSR",
           "train_spectral", "mirror_phase"]

#: Phase choices for the predicted high band.
PHASES = ("input", "mirror", "griffin_lim")
_EPS = 1e-5


@dataclass(frozen=True)
class SpectralConfig:
    """Architecture and STFT of a :class:`SpectralSR` model.

    Attributes
    ----------
    n_fft, hop : int
        STFT size and hop in samples (at the high rate).
    filters : tuple of int
        Channels of each level; each level after the first halves the frequency axis.
    sr_hz, ratio : int
        High rate in Hz and up-sampling factor (the cutoff bin is ``n_fft / (2 ratio)``).
    """

    n_fft: int = 512
    hop: int = 128
    filters: tuple = (16, 32, 64)
    sr_hz: int = 16000
    ratio: int = 4

    @property
    def n_bins(self) -> int:
        """Bins the network sees: ``n_fft / 2`` (the Nyquist bin is left out)."""
        return self.n_fft // 2

    @property
    def cutoff_bin(self) -> int:
        """First bin above the low-rate Nyquist frequency: ``n_fft / (2 ratio)``, rounded down."""
        return self.n_fft // (2 * self.ratio)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["filters"] = list(self.filters)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "SpectralConfig":
        return cls(**{**d, "filters": tuple(d["filters"])})


def log_magnitude_features(x_in, config: SpectralConfig):
    """STFT of a high-rate signal and the network's input features.

    Parameters
    ----------
    x_in : float array, shape (n_samples,)

    Returns
    -------
    X : complex64 array, shape (1 + n_fft // 2, n_frames)
        The full STFT (librosa layout: bins first).
    features : float32 array, shape (n_frames, n_fft // 2)
        ``log(|X| + 1e-5)`` of the first ``n_fft / 2`` bins, frames first.
    """
    from ..spectral import stft

    X = stft(validate_audio(x_in), config.n_fft, config.hop)
    return X, np.log(np.abs(X[: config.n_bins]).T + _EPS).astype(np.float32)


def build_spectral_unet(config: SpectralConfig | None = None):
    """The 2-D U-Net over (frames, bins): (batch, frames, n_fft/2, 1) -> same shape, residual on the input.

    Each level: Conv2D 3x3 + LeakyReLU(0.2), then a stride (1, 2) Conv2D that halves
    the frequency axis; back up with (1, 2) up-sampling, a 3x3 convolution and the
    skip of the same level. The last 3x3 convolution starts at zero, so an untrained
    model returns its input's log-magnitude.
    """
    import keras
    from keras import layers

    cfg = config or SpectralConfig()
    if cfg.n_bins % 2 ** (len(cfg.filters) - 1):
        raise AudioError(f"n_fft {cfg.n_fft}: n_fft / 2 must be divisible by {2 ** (len(cfg.filters) - 1)}")
    inp = keras.Input((None, cfg.n_bins, 1), name="log_magnitude")
    x = inp
    skips = []
    for i, nf in enumerate(cfg.filters):
        x = layers.Conv2D(nf, 3, padding="same", name=f"enc{i}_conv")(x)
        x = layers.LeakyReLU(0.2, name=f"enc{i}_act")(x)
        skips.append(x)
        if i < len(cfg.filters) - 1:
            x = layers.Conv2D(cfg.filters[i + 1], 3, strides=(1, 2), padding="same", name=f"down{i}")(x)
            x = layers.LeakyReLU(0.2, name=f"down{i}_act")(x)
    for i in reversed(range(len(cfg.filters) - 1)):
        x = layers.UpSampling2D((1, 2), name=f"up{i}")(x)
        x = layers.Conv2D(cfg.filters[i], 3, padding="same", name=f"up{i}_conv")(x)
        x = layers.LeakyReLU(0.2, name=f"up{i}_act")(x)
        x = layers.Concatenate(name=f"up{i}_skip")([x, skips[i]])
    x = layers.Conv2D(1, 3, padding="same", kernel_initializer="zeros", name="out_conv")(x)
    out = layers.Add(name="residual")([inp, x])
    return keras.Model(inp, out, name="spectral_unet")


def mirror_phase(phase: np.ndarray, cutoff_bin: int) -> np.ndarray:
    """Fill the bins at and above ``cutoff_bin`` with the low band's phase reflected about it.

    Bin ``k`` takes the phase of bin ``m`` where ``m`` follows a triangle wave of
    period ``2 cutoff_bin``: ``k mod 2c`` if that is at most ``c``, else ``2c - (k mod 2c)``.
    ``phase`` has shape (bins, frames); returns a copy.

    Examples
    --------
    >>> mirror_phase(np.arange(10.0)[:, None], 4)[:, 0].tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0, 3.0, 2.0, 1.0, 0.0, 1.0]
    """
    out = phase.copy()
    c = int(cutoff_bin)
    k = np.arange(c, phase.shape[0])
    m = k % (2 * c)
    src = np.where(m <= c, m, 2 * c - m)
    out[c:] = phase[src]
    return out


class SpectralSR:
    """A trained spectral model: ``upsample_lr`` from the low rate to ``sr_hz`` with a chosen phase."""

    def __init__(self, model, config: SpectralConfig):
        self.model = model
        self.config = config
        self.sr_hz, self.ratio = config.sr_hz, config.ratio
        self.low_sr_hz = config.sr_hz // config.ratio

    def predict_magnitude(self, x_in) -> tuple[np.ndarray, np.ndarray]:
        """``(X_in, |X_hat|)``: the input's STFT and the predicted magnitude, both (bins, frames)."""
        cfg = self.config
        X, feats = log_magnitude_features(x_in, cfg)
        pred = np.asarray(self.model.predict_on_batch(feats[None, ..., None]))[0, ..., 0].T
        mag = np.abs(X).astype(np.float32)
        c = cfg.cutoff_bin
        mag[c: cfg.n_bins] = np.maximum(np.exp(pred[c:]) - _EPS, 0.0)
        return X, mag

    def reconstruct(self, X_in: np.ndarray, magnitude: np.ndarray, length: int, phase: str = "griffin_lim",
                    n_iter: int = 32) -> np.ndarray:
        """Inverse STFT of ``magnitude`` with the chosen phase; the low band is ``X_in``'s, exactly.

        Returns float32, shape (length,).
        """
        import librosa

        if phase not in PHASES:
            raise AudioError(f"phase: got {phase!r}; expected one of {', '.join(PHASES)}")
        cfg = self.config
        c = cfg.cutoff_bin
        angle = np.angle(X_in)
        if phase != "input":
            angle = mirror_phase(angle, c)
        Y = magnitude * np.exp(1j * angle)
        Y[:c] = X_in[:c]

        def istft(S):
            return librosa.istft(S, hop_length=cfg.hop, n_fft=cfg.n_fft, window="hann", center=True, length=length)

        if phase == "griffin_lim":
            for _ in range(n_iter):
                rebuilt = librosa.stft(istft(Y), n_fft=cfg.n_fft, hop_length=cfg.hop, window="hann", center=True)
                Y = magnitude * np.exp(1j * np.angle(rebuilt))
                Y[:c] = X_in[:c]
        return istft(Y).astype(np.float32)

    def upsample_lr(self, x_lr, *, phase: str = "griffin_lim") -> np.ndarray:
        """Super-resolve a mono signal at ``low_sr_hz``: shape (n,) -> (n * ratio,)."""
        from ..interpolate import upsample_baseline

        x_lr = validate_audio(x_lr, name="x_lr")
        if x_lr.ndim != 1:
            raise AudioError(f"x_lr: expected a mono signal of shape (n_samples,), got {x_lr.shape}")
        x_in = upsample_baseline(x_lr, self.ratio, "spline")
        X, mag = self.predict_magnitude(x_in)
        return self.reconstruct(X, mag, len(x_in), phase)

    def save(self, folder) -> Path:
        """Write ``config.json`` (kind ``spectral``) and ``model.weights.h5`` into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save_weights(str(folder / "model.weights.h5"))
        (folder / "config.json").write_text(json.dumps({"kind": "spectral", "spectral": self.config.to_dict()}, indent=2))
        return folder

    @classmethod
    def load(cls, folder) -> "SpectralSR":
        """A model folder written by :meth:`save`."""
        folder = Path(folder)
        try:
            meta = json.loads((folder / "config.json").read_text())
            cfg = SpectralConfig.from_dict(meta["spectral"])
        except (OSError, KeyError, ValueError) as exc:
            raise AudioError(f"{folder}: not a spectral model folder ({exc})") from None
        model = build_spectral_unet(cfg)
        model.load_weights(str(folder / "model.weights.h5"))
        return cls(model, cfg)


def _features_and_targets(pairs, cfg: SpectralConfig):
    x = np.stack([log_magnitude_features(v, cfg)[1] for v in pairs.x_in])[..., None]
    y = np.stack([log_magnitude_features(v, cfg)[1] for v in pairs.hr])[..., None]
    return x, y


def train_spectral(train_pairs, val_pairs=None, config: SpectralConfig | None = None, *, epochs: int = 4,
                   batch_size: int = 16, learning_rate: float = 1e-3, seed: int = 0, verbose: int = 0):
    """Fit a :class:`SpectralSR` on training pairs (:func:`srlib.data.make_pairs`).

    The loss is the mean absolute error of the log-magnitude over the bins at and
    above the cutoff bin (the low band is copied from the input at inference).

    Returns
    -------
    (SpectralSR, history dict)
    """
    import keras
    from keras import ops

    cfg = config or SpectralConfig(sr_hz=train_pairs.sr_hz, ratio=train_pairs.ratio)
    if (cfg.sr_hz, cfg.ratio) != (train_pairs.sr_hz, train_pairs.ratio):
        raise AudioError(f"config is {cfg.sr_hz} Hz / ratio {cfg.ratio}; the pairs are "
                         f"{train_pairs.sr_hz} Hz / ratio {train_pairs.ratio}")
    keras.utils.set_random_seed(seed)
    x, y = _features_and_targets(train_pairs, cfg)
    val = _features_and_targets(val_pairs, cfg) if val_pairs is not None and len(val_pairs) else None
    c = cfg.cutoff_bin

    def high_band_mae(y_true, y_pred):
        return ops.mean(ops.abs(y_true[:, :, c:, :] - y_pred[:, :, c:, :]))

    model = build_spectral_unet(cfg)
    model.compile(keras.optimizers.Adam(learning_rate), loss=high_band_mae)
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, validation_data=val, verbose=verbose,
                        shuffle=True)
    return SpectralSR(model, cfg), history.history
