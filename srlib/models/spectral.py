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

   - ``"gan"``: the phase-aware variant (:func:`build_spectral_waveform_generator`),
     after Hu et al. 2020 ("Phase-aware music super-resolution using generative
     adversarial networks"), who predict the high band's magnitude with a GAN and
     take its phase from a GAN-trained waveform synthesiser. Here the whole chain
     runs inside one Keras model: STFT -> the 2-D U-Net -> mirrored phase ->
     inverse STFT -> a small dilated 1-D convolution stack on the waveform that
     may change what the mirrored phase got wrong. It is trained with
     :class:`srlib.models.gan.GAN` (waveform MSE, multi-resolution STFT loss and
     the STFT and waveform discriminators), so the magnitudes are learned *with*
     the phase they will be played with, and the discriminators judge the
     waveform, phase included. Only such a trained model offers this phase
     (``srlib train --model spectral-gan``; :func:`reconstruct` offers the others to a ``spectral`` model).

The STFT uses ``n_fft`` samples (Hann window, centred frames); the network sees
the first ``n_fft / 2`` bins (the Nyquist bin is copied from the input), so the
frequency axis halves cleanly at each level.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..audio import validate_audio
from ..errors import ConfigError
from ..extras import lazy
from ..spectral import stft
from .gan import compile_gan
from .kind import STFTKind

#: :mod:`srlib.models.spectral_layers` imports Keras: loaded when a network is first built (:func:`srlib.extras.lazy`).
blocks = lazy("srlib.models.spectral_layers")

__all__ = ["SpectralConfig", "PHASES", "build_spectral_unet", "log_magnitude_features", "predict_magnitude",
           "reconstruct", "mirror_phase", "mirror_index", "build_spectral_waveform_generator", "spectral_reach",
           "spectral_training_arrays", "high_band_mae", "SpectralKind", "SpectralGANKind"]

#: Phase choices for the predicted high band that :func:`reconstruct` offers (the fourth,
#: ``"gan"``, is a trained model of its own: :func:`build_spectral_waveform_generator`).
PHASES = ("input", "mirror", "griffin_lim")
_EPS = 1e-5


@dataclass(frozen=True)
class SpectralConfig:
    """Architecture and STFT of a spectral model (the ``spectral`` and ``spectral-gan`` kinds).

    Attributes
    ----------
    n_fft, hop : int
        STFT size and hop in samples (at the high rate).
    filters : tuple of int
        Channels of each level; each level after the first halves the frequency axis.
    sr_hz, ratio : int
        High rate in Hz and up-sampling factor (the cutoff bin is ``n_fft / (2 ratio)``).
    refiner_channels : int
        Channels of the phase-aware generator's waveform stage (:func:`build_spectral_waveform_generator`).
    refiner_dilations : tuple of int
        Dilations of its kernel-9 1-D convolutions (one layer each).
    """

    n_fft: int = 512
    hop: int = 128
    filters: tuple = (16, 32, 64)
    sr_hz: int = 16000
    ratio: int = 4
    refiner_channels: int = 16
    refiner_dilations: tuple = (1, 2, 4, 8)

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
        d["refiner_dilations"] = list(self.refiner_dilations)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "SpectralConfig":
        d = {**d, "filters": tuple(d["filters"])}
        if "refiner_dilations" in d:
            d["refiner_dilations"] = tuple(d["refiner_dilations"])
        return cls(**d)


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
        raise ConfigError(f"n_fft {cfg.n_fft}: n_fft / 2 must be divisible by {2 ** (len(cfg.filters) - 1)}")
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
    return phase[mirror_index(phase.shape[0], cutoff_bin)]


def mirror_index(n_bins: int, cutoff_bin: int) -> np.ndarray:
    """Source bin of every bin under :func:`mirror_phase`: ``k`` below the cutoff, the reflection above.

    Returns an int array of shape (n_bins,).

    Examples
    --------
    >>> mirror_index(7, 3).tolist()
    [0, 1, 2, 3, 2, 1, 0]
    """
    c = int(cutoff_bin)
    k = np.arange(int(n_bins))
    m = k % (2 * c)
    return np.where(k < c, k, np.where(m <= c, m, 2 * c - m))


def spectral_reach(config: SpectralConfig) -> int:
    """One-sided reach in samples of the spectral models: how far an output sample looks.

    Each 3x3 convolution of the 2-D U-Net widens the time context by one frame
    on each side (``2 len(filters) + 1`` convolutions on the longest path), a
    frame spans ``n_fft`` samples, and the waveform stage adds
    ``4 sum(refiner_dilations)``.
    """
    frames = 2 * len(config.filters) + 1
    return frames * config.hop + config.n_fft + 4 * sum(config.refiner_dilations)


def build_spectral_waveform_generator(config: SpectralConfig | None = None):
    """The phase-aware spectral generator: spline input (batch, n, 1) -> (batch, n, 1), ``n`` a multiple of ``hop``.

    ``SpectralWaveform`` (layer ``spectral``, holding the 2-D U-Net as
    ``.unet``) gives the mirrored-phase waveform ``w``; the waveform stage sees
    ``[w, x_in]`` through kernel-9 convolutions of ``refiner_channels`` channels
    with ``refiner_dilations`` (LeakyReLU 0.2) and adds a correction to ``w``.
    Its last convolution starts at zero, so an untrained stage passes ``w``
    through: initialised from a trained ``spectral`` model, the generator starts
    exactly at that model with the ``"mirror"`` phase.
    """
    import keras
    from keras import layers

    cfg = config or SpectralConfig()
    inp = keras.Input((None, 1), name="x_in")
    w = blocks.SpectralWaveform(cfg, name="spectral")(inp)
    h = layers.Concatenate(name="refine_in")([w, inp])
    for i, d in enumerate(cfg.refiner_dilations):
        h = layers.Conv1D(cfg.refiner_channels, 9, dilation_rate=d, padding="same", name=f"refine{i}")(h)
        h = layers.LeakyReLU(0.2, name=f"refine{i}_act")(h)
    h = layers.Conv1D(1, 9, padding="same", kernel_initializer="zeros", name="refine_out")(h)
    out = layers.Add(name="phase_aware")([w, h])
    return keras.Model(inp, out, name="spectral_gan_generator")


def predict_magnitude(network, x_in, config: SpectralConfig) -> tuple[np.ndarray, np.ndarray]:
    """``(X_in, |X_hat|)``: the STFT of ``x_in`` (the spline-interpolated signal at ``sr_hz``, shape (n,)) and
    the magnitude the 2-D U-Net ``network`` predicts from it, both (bins, frames); below the cutoff bin the
    magnitude is the input's own."""
    X, feats = log_magnitude_features(x_in, config)
    pred = np.asarray(network.predict_on_batch(feats[None, ..., None]))[0, ..., 0].T
    mag = np.abs(X).astype(np.float32)
    c = config.cutoff_bin
    mag[c: config.n_bins] = np.maximum(np.exp(pred[c:]) - _EPS, 0.0)
    return X, mag


def reconstruct(X_in: np.ndarray, magnitude: np.ndarray, length: int, config: SpectralConfig,
                phase: str = "griffin_lim", n_iter: int = 32) -> np.ndarray:
    """Inverse STFT of ``magnitude`` with the chosen phase of :data:`PHASES`; the low band is ``X_in``'s, exactly.

    ``"input"`` keeps the input's phase, ``"mirror"`` reflects the band below the cutoff about it
    (:func:`mirror_phase`), ``"griffin_lim"`` starts there and runs ``n_iter`` Griffin-Lim iterations
    on the high band. Returns float32, shape (length,).
    """
    import librosa

    if phase not in PHASES:
        raise ConfigError(f"phase: got {phase!r}; expected one of {', '.join(PHASES)}")
    c = config.cutoff_bin
    angle = np.angle(X_in)
    if phase != "input":
        angle = mirror_phase(angle, c)
    Y = magnitude * np.exp(1j * angle)
    Y[:c] = X_in[:c]

    def istft(S):
        return librosa.istft(S, hop_length=config.hop, n_fft=config.n_fft, window="hann", center=True,
                             length=length)

    if phase == "griffin_lim":
        for _ in range(n_iter):
            rebuilt = librosa.stft(istft(Y), n_fft=config.n_fft, hop_length=config.hop, window="hann", center=True)
            Y = magnitude * np.exp(1j * np.angle(rebuilt))
            Y[:c] = X_in[:c]
    return istft(Y).astype(np.float32)


def spectral_training_arrays(pairs, cfg: SpectralConfig):
    """Features and targets of training pairs: two float32 arrays (patches, frames, n_fft/2, 1).

    The features are :func:`log_magnitude_features` of the spline inputs, the
    targets the same of the high-rate patches.
    """
    x = np.stack([log_magnitude_features(v, cfg)[1] for v in pairs.x_in])[..., None]
    y = np.stack([log_magnitude_features(v, cfg)[1] for v in pairs.hr])[..., None]
    return x, y


def high_band_mae(cutoff_bin: int):
    """The spectral model's loss: ``mean |y - y_hat|`` of the log-magnitudes in the bins from ``cutoff_bin`` up."""
    from keras import ops

    c = int(cutoff_bin)

    def high_band_mae(y_true, y_pred):
        return ops.mean(ops.abs(y_true[:, :, c:, :] - y_pred[:, :, c:, :]))

    return high_band_mae


class SpectralKind(STFTKind):
    """The 2-D U-Net on log-magnitudes, trained on the high band's log-magnitude MAE, played with Griffin-Lim."""

    arch_class = SpectralConfig
    litert = True  # the 2-D U-Net on log-magnitudes; the STFT and Griffin-Lim around it are NumPy
    exact_chunks = False  # Griffin-Lim's iterations carry information past the reach

    def build(self, arch: SpectralConfig):
        return build_spectral_unet(arch)

    def reach(self, arch: SpectralConfig) -> int:
        return spectral_reach(arch)

    def runner(self, network, arch):
        def run(windows):  # magnitudes from the network, then a Griffin-Lim phase per window
            return np.stack([reconstruct(*predict_magnitude(network, w, arch), len(w), arch) for w in windows])

        return run

    def compile(self, network, config, arch):
        import keras

        network.compile(keras.optimizers.Adam(config.learning_rate), loss=high_band_mae(arch.cutoff_bin))
        return network, "val_loss", {}

    def fit_data(self, train_pairs, val_pairs, config, arch) -> dict:
        x, y = spectral_training_arrays(train_pairs, arch)
        return dict(x=x, y=y, batch_size=config.batch_size, shuffle=True,
                    validation_data=spectral_training_arrays(val_pairs, arch))


class SpectralGANKind(STFTKind):
    """The phase-aware generator (:func:`build_spectral_waveform_generator`) trained as a GAN.

    Same architecture as :class:`SpectralKind`; it runs and trains on waveforms like the U-Net
    (the default runner and data). It starts from a spectral model's 2-D U-Net (same STFT and
    channels) or from a whole generator of the same architecture.
    """

    arch_class = SpectralConfig

    def build(self, arch: SpectralConfig):
        return build_spectral_waveform_generator(arch)

    def reach(self, arch: SpectralConfig) -> int:
        return spectral_reach(arch)

    def init_fits(self, init, arch) -> bool:
        own = init.arch
        if not isinstance(own, SpectralConfig):
            return False
        same_stft = (own.n_fft, own.hop, tuple(own.filters)) == (arch.n_fft, arch.hop, tuple(arch.filters))
        return same_stft and (not isinstance(init.model_kind, SpectralGANKind) or own == arch)

    def load_init(self, network, init) -> None:
        if isinstance(init.model_kind, SpectralGANKind):
            network.set_weights(init.model.get_weights())
        else:  # a spectral model: the magnitudes' network only
            network.get_layer("spectral").unet.set_weights(init.model.get_weights())

    def compile(self, network, config, arch):
        return compile_gan(network, config)
