"""Which optional dependency each extra of ``pyproject.toml`` installs, and the error that says so.

A plain ``pip install srlib`` runs the tool (``srlib upsample`` with its default
model, cutoff detection and MP3, ``info``, ``evaluate``); training, the Keras models, perceptual
metrics, figures and the listening report, librosa's analyses (and the corpus builders that trim
with it), the music renderer and the notebooks' players need an extra. Code that
reaches for one of them simply imports it; where the import fails,
:func:`missing_dependency` turns the ``ModuleNotFoundError`` into one sentence
naming the extra, and the command line prints it instead of a traceback.

:func:`lazy` is the one way an srlib module defers an import, written at its top: the modules that
import Keras there (:mod:`srlib.models.layers` and each kind's own ``*_layers``,
:mod:`srlib.models.gan_model`, :mod:`srlib.callbacks`) and ``scipy.signal`` (over half a second) are
reached through it, so ``srlib upsample`` and ``srlib info`` start in a fraction of a second without
loading TensorFlow. Function-local imports are left for optional dependencies alone (Keras inside a
kind's methods, librosa, matplotlib, the extras).

>>> print(missing_dependency(ModuleNotFoundError("No module named 'keras'", name="keras")))
this needs keras, which a plain install of srlib leaves out: pip install "srlib[models]"
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

from .errors import SrlibError

__all__ = ["EXTRA_OF", "MissingDependencyError", "missing_dependency", "lazy"]

#: The import name of each optional dependency -> the extra that installs it.
EXTRA_OF = {
    "ai_edge_litert": "litert",
    "keras": "models", "tensorflow": "models",
    "pesq": "perceptual", "pystoi": "perceptual", "speechmos": "perceptual", "onnxruntime": "perceptual",
    "music21": "data", "pretty_midi": "data", "fluidsynth": "data", "spotipy": "data", "requests": "data",
    "IPython": "notebooks", "ipywidgets": "notebooks",
    "dask": "cluster", "distributed": "cluster",
    "matplotlib": "plots", "librosa": "analysis", "av": "formats",
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


class _Lazy(types.ModuleType):
    """Stands for a module not yet imported; kept out of ``sys.modules``, so code that walks it
    (``inspect.getmodule``, pickling) never imports the module by accident."""

    def __getattr__(self, attr):
        return getattr(importlib.import_module(self.__name__), attr)


def lazy(name: str):
    """The module ``name`` (dotted, absolute), imported on its first attribute access.

    Write it at the top of a module, ``layers = lazy("srlib.models.layers")``, and use ``layers.X`` in
    functions: the import happens when a function first runs, as with a function-local import, but the
    dependency stays visible where imports are read (``tests/test_registry.py`` counts these calls as
    imports when it looks for cycles). A module already imported is returned as it is.
    """
    if name in sys.modules:
        return sys.modules[name]
    if importlib.util.find_spec(name) is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    return _Lazy(name)
