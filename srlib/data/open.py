"""The one place that turns a corpus description (``srlib train --corpus``, ``config.json``'s ``corpus``)
into a :class:`~srlib.data.corpus.Corpus`: every loader sits below it, so none of them imports it."""

from __future__ import annotations

from pathlib import Path

from .corpus import folder_corpus
from .embedded import default_corpus
from .magnatagatune import magnatagatune_corpus
from .recorded import build_recorded
from .vctk import vctk_corpus

__all__ = ["open_corpus"]


def open_corpus(spec: str, *, quick: bool = False, progress: bool = False):
    """A corpus from a short description.

    ``speech`` / ``music`` (the embedded defaults), ``recorded-speech`` / ``recorded-music``
    (real recordings from Debian packages, :mod:`srlib.data.recorded`), ``vctk:PATH[:single|multi]``,
    ``magnatagatune:PATH``, or a folder path (a folder corpus). ``quick`` takes the small slice
    of the built-in corpora.
    """
    if spec in ("speech", "music"):
        return default_corpus(spec, quick=quick, progress=progress)
    if spec in ("recorded-speech", "recorded-music"):
        content = spec.split("-", 1)[1]
        quick_slice = dict(max_files_per_group=6) if content == "speech" else dict(max_groups_per_source=2)
        return build_recorded(content, **(quick_slice if quick else {}), progress=progress)
    if spec.startswith("vctk:"):
        parts = spec.split(":")
        return vctk_corpus(parts[1], parts[2] if len(parts) > 2 else "multi")
    if spec.startswith("magnatagatune:"):
        return magnatagatune_corpus(spec.split(":", 1)[1])
    return folder_corpus(Path(spec))
