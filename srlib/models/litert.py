"""The U-Net, the GAN and the spectral model without TensorFlow: LiteRT.

Keras exports a model to LiteRT (the TensorFlow Lite format) in one call, and
Google's ``ai-edge-litert`` package runs it with no TensorFlow: a 21 MB wheel
instead of several hundred MB, and start-up in milliseconds. ``srlib train``
writes ``model.tflite`` beside ``model.weights.h5`` for the kinds whose network
LiteRT runs with its built-in operations (:attr:`srlib.models.kind.ModelKind.litert`):
the U-Net, the GAN's generator, and the spectral model's 2-D U-Net (its STFT and
Griffin-Lim are NumPy already). The phase-aware generator (``spectral-gan``) has its
STFT inside the graph, which LiteRT's built-in operations do not cover, and the
frame model has a NumPy pass of its own (:mod:`srlib.models.frame_numpy`), whose
ConvNeXt stack runs here (``model.blocks.tflite``).

``python -m srlib.models.export FOLDER ...`` writes the light copy of an
existing model folder (that is how the shipped U-Net and GAN got theirs). A
test holds each shipped model's light output within ``1e-4`` (relative RMS) of
Keras's on real speech.
"""

from __future__ import annotations

import logging
import os
import threading
from contextlib import contextmanager

import numpy as np

__all__ = ["TFLITE_NAME", "export_litert", "LiteRTForward"]

#: File name of the LiteRT copy in a model folder.
TFLITE_NAME = "model.tflite"


def export_litert(network, path) -> None:
    """Write the Keras model ``network`` as a LiteRT flatbuffer at ``path`` (its input's batch and length stay free).

    The converter's Python log ("INFO:tensorflow:Assets written to: /tmp/...") is held back: a chapter that
    trains a model would otherwise print a temporary folder of the machine that built it."""
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        network.export(str(path), format="litert", verbose=False)
    finally:
        logger.setLevel(level)


_stderr_lock = threading.Lock()


@contextmanager
def _quiet_stderr():
    """Silence the C++ runtime's "INFO: Created TensorFlow Lite XNNPACK delegate" line (file descriptor 2).

    One thread at a time: two threads swapping descriptor 2 at once could leave it on /dev/null for good.
    """
    with _stderr_lock:
        try:
            saved = os.dup(2)
        except OSError:  # pragma: no cover - no stderr to silence
            yield
            return
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
                os.close(saved)


class LiteRTForward:
    """A LiteRT model that answers :meth:`predict_on_batch` as the Keras model does, so a kind's
    :meth:`~srlib.models.kind.ModelKind.runner` drives either.

    The interpreter is resized when a call's shape differs from the last one (the chunks of
    :func:`srlib.chunking.overlap_add` mostly share one), and uses ``num_threads`` threads
    (default one per core). One instance serves one thread at a time.
    """

    def __init__(self, path, num_threads: int | None = None):
        from ai_edge_litert.interpreter import Interpreter

        with _quiet_stderr():
            self._interpreter = Interpreter(model_path=str(path), num_threads=num_threads or os.cpu_count() or 1)
        self._in = self._interpreter.get_input_details()[0]["index"]
        self._out = self._interpreter.get_output_details()[0]["index"]
        self._shape = None

    def predict_on_batch(self, x: np.ndarray) -> np.ndarray:
        """The model's output for the float32 batch ``x`` (a new array)."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.shape != self._shape:
            self._interpreter.resize_tensor_input(self._in, x.shape)
            with _quiet_stderr():
                self._interpreter.allocate_tensors()
            self._shape = x.shape
        self._interpreter.set_tensor(self._in, x)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._out).copy()
