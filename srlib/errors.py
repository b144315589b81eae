"""srlib's one family of errors.

Like librosa's ``LibrosaError -> ParameterError``, everything srlib raises on
purpose is a :class:`SrlibError`, itself a :class:`ValueError` (so code that
already catches ``ValueError`` keeps working):

- :class:`AudioError`: bad audio input (an unreadable, empty or truncated file,
  NaN/inf samples, a rate or ratio that cannot be served);
- :class:`ConfigError`: bad settings (an unknown model kind, profile, preset,
  or a configuration that does not fit together);
- :class:`DataSourceError`: a corpus, package or network source that is missing;
- :class:`TrainingError`: training went wrong in a way the user must act on
  (also a :class:`RuntimeError`).

Every message names *what* was wrong (the file or parameter), *what was seen*
and *what was expected*.

Examples
--------
>>> from srlib import AudioError, ConfigError, SrlibError
>>> issubclass(AudioError, SrlibError) and issubclass(ConfigError, ValueError)
True
"""

from __future__ import annotations

__all__ = ["SrlibError", "AudioError", "ConfigError", "DataSourceError", "TrainingError"]


class SrlibError(ValueError):
    """The base of every error srlib raises on purpose."""


class AudioError(SrlibError):
    """Bad audio input or parameter: unreadable file, NaN samples, bad ratio, ..."""


class ConfigError(SrlibError):
    """Bad settings: an unknown model kind, profile or preset, or parts that do not fit together."""


class DataSourceError(SrlibError):
    """A corpus, package or network source that is missing or unreachable; the message says how to get it."""


class TrainingError(SrlibError, RuntimeError):
    """Training went wrong in a way the user must act on (a NaN loss, say).

    The message says at which epoch and batch, and what to try.
    """
