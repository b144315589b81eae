"""``srlib export FOLDER ...`` (or ``python -m srlib.models.export``): write a trained model folder's light copy again.

``srlib train`` writes the light copy itself (:meth:`srlib.models.kind.ModelKind.export`:
``model.npz`` and ``model.blocks.tflite`` for the frame model, ``model.tflite`` for the U-Net and the GAN); this
command does the same for a folder trained before a kind had one, from its
``model.weights.h5``, and checks the copy against Keras on a second of noise.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..inference import SRModel


def export_folder(folder) -> list:
    """Export ``folder``'s model with its kind's :meth:`~srlib.models.kind.ModelKind.export`; returns the new files.

    Raises
    ------
    ConfigError
        The kind has no light runtime, or the copy differs from Keras by more than 1e-4 (relative RMS).
    """
    folder = Path(folder)
    keras_model = SRModel(folder, runtime="keras")
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    keras_model.model_kind.export(keras_model.model, keras_model.arch, folder)
    written = sorted(p.name for p in folder.iterdir() if before.get(p.name) != p.stat().st_mtime_ns)
    light = SRModel(folder, runtime="auto")
    if light.runtime != "light":
        raise ConfigError(f"{folder}: the {keras_model.kind} kind has no light runtime")
    x = (0.1 * np.random.default_rng(0).standard_normal(light.low_sr_hz)).astype(np.float32)
    a, b = keras_model.upsample_lr(x), light.upsample_lr(x)
    rel = float(np.sqrt(np.mean((a - b) ** 2) / np.mean(a ** 2)))
    if rel > 1e-4:
        raise ConfigError(f"{folder}: the light copy differs from Keras by {rel:.1e} (relative RMS)")
    return written


if __name__ == "__main__":  # python -m srlib.models.export FOLDER ...: the same as srlib export FOLDER ...
    from ..cli import main

    sys.exit(main(["export", *sys.argv[1:]]))
