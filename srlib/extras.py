"""Which optional dependency each extra of ``pyproject.toml`` installs, and the error that says so.

A plain ``pip install srlib`` runs the tool (``srlib upsample`` with its default
model, ``info``, ``evaluate``, ``data``); training, the Keras models, perceptual
metrics, the music renderer and the notebooks' players need an extra. Code that
reaches for one of them simply imports it; where the import fails,
:func:`missing_dependency` turns the ``ModuleNotFoundError`` into one sentence
naming the extra, and the command line prints it instead of a traceback.

>>> print(missing_dependency(ModuleNotFoundError("No module named 'keras'", name="keras")))
this needs keras, which a plain install of srlib leaves out: pip install "srlib[models]"
"""

from __future__ import annotations

from .errors import SrlibError

__all__ = ["EXTRA_OF", "MissingDependencyError", "missing_dependency"]

#: The import name of each optional dependency -> the extra that installs it.
EXTRA_OF = {
    "keras": "models", "tensorflow": "models",
    "pesq": "perceptual", "pystoi": "perceptual", "speechmos": "perceptual", "onnxruntime": "perceptual",
    "music21": "data", "pretty_midi": "data", "fluidsynth": "data", "spotipy": "data", "requests": "data",
    "IPython": "notebooks", "ipywidgets": "notebooks",
    "dask": "cluster", "distributed": "cluster",
}


class MissingDependencyError(SrlibError, ImportError):
    """An optional dependency is not installed; the message names the extra that installs it."""


def missing_dependency(exc: ModuleNotFoundError) -> MissingDependencyError | None:
    """The clear error for a failed import of an optional dependency, or None if ``exc`` is about another module."""
    top = (exc.name or "").split(".")[0]
    if top not in EXTRA_OF:
        return None
    return MissingDependencyError(f"this needs {top}, which a plain install of srlib leaves out: "
                                  f'pip install "srlib[{EXTRA_OF[top]}]"')
