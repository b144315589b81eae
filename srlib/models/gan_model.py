"""The GAN as a :class:`keras.Model` with its own ``train_step`` (keras-io style).

The losses and discriminators are described in :mod:`srlib.models.gan`, which
loads this module (it imports Keras and TensorFlow) on first use of ``GAN``.
Chapter: 05_gan_extension.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from ..losses import stft_loss
from .gan import GANConfig

__all__ = ["GAN"]


class GAN(keras.Model):
    """A generator trained against discriminators with ``fit()``; ``call`` is the generator.

    Compile with ``gan.compile(g_optimizer=..., d_optimizer=...)``; ``fit`` then
    logs ``g_loss``, ``d_loss`` and their parts (``mse``, ``stft``, ``adv``,
    ``fm``, ``d_real``, ``d_fake``), and ``val_*`` of each on validation data.
    The generator alone is what inference uses (``gan.generator``). With a
    ``reconstruction`` loss (``loss(y, y_hat)``), it is added to ``g_loss`` and logged as ``recon``.

    Both players are updated from one forward pass per batch (two gradient
    tapes); ``train_step`` is written for the TensorFlow backend.
    """

    LOSS_NAMES = ("g_loss", "d_loss", "mse", "stft", "adv", "fm", "d_real", "d_fake")

    def __init__(self, generator, discriminators, config: GANConfig | None = None, reconstruction=None, **kw):
        super().__init__(**kw)
        self.generator = generator
        self.discriminators = list(discriminators)
        self.config = config or GANConfig()
        self.reconstruction = reconstruction
        names = self.LOSS_NAMES + (("recon",) if reconstruction is not None else ())
        self.trackers = {k: keras.metrics.Mean(name=k) for k in names}

    def call(self, x, training=False):
        return self.generator(x, training=training)

    def build(self, input_shape):
        self.generator.build(input_shape)
        for d in self.discriminators:
            d.build(input_shape)
        self.built = True

    def compile(self, g_optimizer, d_optimizer, **kw):
        super().compile(optimizer=g_optimizer, **kw)
        self.d_optimizer = d_optimizer

    @property
    def metrics(self):
        return list(self.trackers.values())

    def losses_for(self, x, y, training=True):
        """All losses of one batch: a dict of scalars (``g_loss``, ``d_loss`` and their parts).

        ``x``, ``y``: (batch, n_samples, 1) generator input and real high-rate audio.
        """
        c = self.config
        y_hat = self.generator(x, training=training)
        mse = ops.mean(ops.square(y - y_hat))
        stft = stft_loss(y, y_hat)
        adv = d_real = d_fake = fm = 0.0
        n_feats = 0
        for d in self.discriminators:
            out_real = d(y, training=training)
            out_fake = d(y_hat, training=training)
            d_real = d_real + ops.mean(ops.square(out_real[-1] - 1.0))
            d_fake = d_fake + ops.mean(ops.square(out_fake[-1]))
            adv = adv + ops.mean(ops.square(out_fake[-1] - 1.0))
            for f_r, f_f in zip(out_real[:-1], out_fake[:-1]):
                fm = fm + ops.mean(ops.abs(ops.stop_gradient(f_r) - f_f))
                n_feats += 1
        k = len(self.discriminators)
        adv, d_real, d_fake, fm = adv / k, d_real / k, d_fake / k, fm / max(n_feats, 1)
        g_loss = c.mse_weight * mse + c.stft_weight * stft + c.adv_weight * adv + c.fm_weight * fm
        losses = {"mse": mse, "stft": stft, "adv": adv, "fm": fm, "d_real": d_real, "d_fake": d_fake}
        if self.reconstruction is not None:
            losses["recon"] = self.reconstruction(y, y_hat)
            g_loss = g_loss + losses["recon"]
        return {"g_loss": g_loss, "d_loss": d_real + d_fake, **losses}

    def train_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            losses = self.losses_for(x, y, training=True)
        g_vars = self.generator.trainable_variables
        d_vars = [v for d in self.discriminators for v in d.trainable_variables]
        g_grads = g_tape.gradient(losses["g_loss"], g_vars)
        d_grads = d_tape.gradient(losses["d_loss"], d_vars)
        self.optimizer.apply(g_grads, g_vars)
        self.d_optimizer.apply(d_grads, d_vars)
        for k, v in losses.items():
            self.trackers[k].update_state(v)
        return {k: t.result() for k, t in self.trackers.items()}

    def test_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        losses = self.losses_for(x, y, training=False)
        for k, v in losses.items():
            self.trackers[k].update_state(v)
        return {k: t.result() for k, t in self.trackers.items()}
