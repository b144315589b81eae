"""Listening examples the notebooks share: a few seconds of real speech or music from the test split.

The embedded speech clips are single letters and syllables (about one second
each), so a speech example strings several clips of one language together with
short pauses; a music example is an excerpt of one test piece.
"""

from __future__ import annotations

import numpy as np

from ..errors import AudioError
from .embedded import default_corpus

__all__ = ["speech_example", "music_example"]


def speech_example(language: str = "en", n_clips: int = 5, *, sr_hz: int = 16000, gap_s: float = 0.12,
                   quick: bool = True) -> np.ndarray:
    """``n_clips`` consecutive clips of one language joined by ``gap_s`` of silence.

    Returns
    -------
    float32 array, shape (n_samples,), at ``sr_hz`` (peak 0.9).
    """
    corpus = default_corpus("speech", quick=quick)
    clips = [c for c in corpus.clips if c.group == language]
    if not clips:
        raise AudioError(f"language: no clips for {language!r}; choose one of {', '.join(corpus.groups())}")
    gap = np.zeros(int(gap_s * sr_hz), np.float32)
    parts = []
    for c in clips[:n_clips]:
        parts += [corpus.load(c, sr_hz), gap]
    x = np.concatenate(parts[:-1])
    return (0.9 * x / np.abs(x).max()).astype(np.float32)


def music_example(index: int = 0, duration_s: float = 6.0, *, offset_s: float = 2.0, sr_hz: int = 44100,
                  quick: bool = True) -> np.ndarray:
    """An excerpt of test piece ``index`` of the embedded music corpus (synthesised from a score).

    Returns
    -------
    float32 array, shape (round(duration_s * sr_hz),) at most, at ``sr_hz``.
    """
    corpus = default_corpus("music", quick=quick)
    clips = corpus.split("test") + corpus.split("val")
    x = corpus.load(clips[index % len(clips)], sr_hz)
    i0 = int(offset_s * sr_hz)
    return x[i0: i0 + int(duration_s * sr_hz)].copy()
