"""The one error type srlib raises for bad input.

Every check in srlib that rejects a file, an array or a parameter raises
:class:`AudioError`. It subclasses :class:`ValueError`, so code that already
catches ``ValueError`` keeps working, and its message always names *what* was
wrong (the file or parameter), *what was seen* and *what was expected*.
"""

from __future__ import annotations


class AudioError(ValueError):
    """Bad audio input or parameter: unreadable file, NaN samples, bad ratio, ...

    Examples
    --------
    >>> from srlib import AudioError
    >>> issubclass(AudioError, ValueError)
    True
    """


class TrainingError(RuntimeError):
    """Training went wrong in a way the user must act on (a NaN loss, say).

    The message says at which epoch and batch, and what to try.
    """
