"""srlib: audio super-resolution (bandwidth extension) for learning and for use.

The package behind the srlib course notebooks and the ``srlib`` command:

- :mod:`srlib.audio` reading, writing (atomic), resampling and validating audio
- :mod:`srlib.degrade` anti-aliasing filters and low-resolution versions
- :mod:`srlib.interpolate` classical up-sampling baselines (spline, sinc, ...)
- :mod:`srlib.spectral` STFT, spectrograms, Griffin-Lim
- :mod:`srlib.metrics` SNR, LSD (full / high / low band), SI-SDR
- :mod:`srlib.plots`, :mod:`srlib.players` figures and audio players for notebooks
- :mod:`srlib.api` ``srlib.upsample`` and ``srlib.upsample_file``
- :mod:`srlib.models` the model kinds (:mod:`srlib.models.registry`), their networks and model cards
- :mod:`srlib.inference`, :mod:`srlib.chunking` trained models applied to any length
- :mod:`srlib.evaluate`, :mod:`srlib.train` the evaluation recipe and training runs

Every error srlib raises on purpose is a :class:`SrlibError` (a ``ValueError``): :class:`AudioError`
for bad audio input, :class:`ConfigError` for bad settings, :class:`DataSourceError` for a missing
corpus or package.
"""

import os as _os

# TensorFlow's C++ start-up chatter (CPU feature notices) would land in every notebook's output.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .api import upsample, upsample_file  # noqa: E402
from .audio import load, resample, save, validate_audio  # noqa: E402
from .errors import AudioError, ConfigError, DataSourceError, SrlibError, TrainingError  # noqa: E402

__version__ = "0.1.0"

__all__ = ["SrlibError", "AudioError", "ConfigError", "DataSourceError", "TrainingError", "load", "save", "resample", "validate_audio", "upsample", "upsample_file", "__version__"]
