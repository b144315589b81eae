"""Corpora: lists of audio clips with a group (speaker, language, piece) and a split.

A :class:`Corpus` is a list of :class:`Clip` records. The split into
train/validation/test is *group-disjoint*: every clip of one speaker (or
language, or piece) lands in the same split, so a test score measures
generalisation to voices the model never heard. The split of a group depends
only on its name and the seed (a hash), so it is stable across runs and does not
move when other files are added to the folder.

Notebook ``03_data_generation`` walks through corpora and splits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ..audio import AUDIO_SUFFIXES, find_audio_files, load
from ..errors import AudioError, ConfigError, DataSourceError

__all__ = ["Clip", "Corpus", "folder_corpus", "group_split", "parent_folder_group", "corpus_table"]

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Clip:
    """One audio file of a corpus.

    Attributes
    ----------
    path : str
        Absolute path of the audio file.
    group : str
        Speaker, language or piece: the unit the split keeps together.
    split : str
        ``"train"``, ``"val"`` or ``"test"``.
    source : str
        Which corpus it came from (``"vctk"``, ``"klettres"``, ``"music21"``, ``"folder"``).
    duration_s : float
        Length in seconds (0 where unknown).
    meta : dict
        Anything else (language, instrument, licence, measured bandwidth).
    """

    path: str
    group: str
    split: str
    source: str = "folder"
    duration_s: float = 0.0
    meta: dict = field(default_factory=dict, hash=False, compare=False)


class Corpus:
    """A named list of clips with split access.

    Parameters
    ----------
    name : str
    clips : iterable of Clip
    """

    def __init__(self, name: str, clips: Iterable[Clip]):
        self.name = name
        self.clips = list(clips)

    def __len__(self) -> int:
        return len(self.clips)

    def __repr__(self) -> str:
        counts = {s: len(self.split(s)) for s in SPLITS}
        return f"Corpus({self.name!r}, {len(self)} clips, {counts})"

    def split(self, name: str) -> list[Clip]:
        """Clips of one split (``train``, ``val`` or ``test``)."""
        if name not in SPLITS:
            raise ConfigError(f"split: got {name!r}; expected one of {SPLITS}")
        return [c for c in self.clips if c.split == name]

    def groups(self, split: str | None = None) -> list[str]:
        """Sorted group names, of one split or of all."""
        clips = self.clips if split is None else self.split(split)
        return sorted({c.group for c in clips})

    def load(self, clip: Clip, sr_hz: int) -> np.ndarray:
        """Load one clip as mono float32 at ``sr_hz``; shape (n_samples,)."""
        x, _ = load(clip.path, sr_hz=sr_hz, mono=True)
        return x

    def subset(self, max_clips_per_split: int | None = None, seed: int = 0) -> "Corpus":
        """A smaller corpus with at most ``max_clips_per_split`` clips per split (seeded choice)."""
        if max_clips_per_split is None:
            return self
        rng = np.random.default_rng(seed)
        keep = []
        for s in SPLITS:
            clips = self.split(s)
            if len(clips) > max_clips_per_split:
                idx = np.sort(rng.choice(len(clips), max_clips_per_split, replace=False))
                clips = [clips[i] for i in idx]
            keep += clips
        return Corpus(f"{self.name}[:{max_clips_per_split}]", keep)

    def fingerprint(self) -> str:
        """A hash of the clip list (paths, sizes, modification times, splits) for cache keys."""
        h = hashlib.sha1()
        for c in self.clips:
            st = Path(c.path).stat()
            h.update(f"{c.path}|{st.st_size}|{int(st.st_mtime)}|{c.split}|{c.group}\n".encode())
        return h.hexdigest()[:16]

    def to_json(self, path) -> None:
        """Write the clip list as a manifest."""
        Path(path).write_text(json.dumps({"name": self.name, "clips": [asdict(c) for c in self.clips]}, indent=1))

    @classmethod
    def from_json(cls, path) -> "Corpus":
        """Read a manifest written by :meth:`to_json`."""
        data = json.loads(Path(path).read_text())
        return cls(data["name"], [Clip(**c) for c in data["clips"]])


def group_split(group: str, fractions=(0.8, 0.1, 0.1), seed: int = 0) -> str:
    """Which split a group belongs to: a stable hash of ``(seed, group)``.

    Parameters
    ----------
    group : str
    fractions : (train, val, test) floats summing to 1
    seed : int

    Returns
    -------
    ``"train"``, ``"val"`` or ``"test"``.

    Examples
    --------
    >>> group_split("p225") == group_split("p225")
    True
    """
    if len(fractions) != 3 or abs(sum(fractions) - 1) > 1e-6 or min(fractions) < 0:
        raise ConfigError(f"fractions: got {fractions}; expected three non-negative numbers summing to 1")
    u = int(hashlib.sha1(f"{seed}:{group}".encode()).hexdigest()[:12], 16) / 16**12
    if u < fractions[0]:
        return "train"
    return "val" if u < fractions[0] + fractions[1] else "test"


def parent_folder_group(path: Path, root: Path) -> str:
    """Default group key: the first folder below the corpus root (``root/speaker/file.wav``).

    Files directly in the root are each their own group.
    """
    rel = path.relative_to(root)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def folder_corpus(root, *, group_fn: Callable[[Path, Path], str] = parent_folder_group,
                  fractions=(0.8, 0.1, 0.1), seed: int = 0, name: str | None = None) -> Corpus:
    """Every audio file below ``root`` (recursive), split by group.

    Parameters
    ----------
    root : str or Path
        A folder of wav/flac/ogg/mp3/aiff files, in any sub-folders.
    group_fn : callable(path, root) -> str
        Group (speaker) key; default: first sub-folder name.
    fractions : (train, val, test)
        Share of *groups* per split, assigned by :func:`group_split`.
    seed : int
        Changes which groups go where.

    Raises
    ------
    AudioError
        ``root`` missing, not a folder, or without audio files.
    """
    root = Path(root)
    if not root.exists():
        raise DataSourceError(f"{root}: corpus folder does not exist")
    if not root.is_dir():
        raise AudioError(f"{root}: is not a folder; expected a folder of audio files")
    files = find_audio_files(root)
    if not files:
        raise AudioError(f"{root}: no audio files ({', '.join(AUDIO_SUFFIXES)}) found")
    clips = []
    for p in files:
        g = group_fn(p, root)
        clips.append(Clip(str(p.resolve()), g, group_split(g, fractions, seed), "folder"))
    return Corpus(name or root.name, clips)


def corpus_table(corpus) -> str:
    """Markdown table: clips, minutes, groups and median/min measured bandwidth per split and source."""
    rows = ["| split | source | clips | minutes | groups | bandwidth median (kHz) | bandwidth min (kHz) |",
            "|---|---|---:|---:|---:|---:|---:|"]
    for split in ("train", "val", "test"):
        clips = corpus.split(split)
        for source in sorted({c.source for c in clips}):
            sel = [c for c in clips if c.source == source]
            bws = [c.meta["bandwidth_hz"] / 1000 for c in sel if "bandwidth_hz" in c.meta]
            med = f"{np.median(bws):.1f}" if bws else "n/a"
            low = f"{np.min(bws):.1f}" if bws else "n/a"
            minutes = sum(c.duration_s for c in sel) / 60
            rows.append(f"| {split} | {source} | {len(sel)} | {minutes:.1f} | {len({c.group for c in sel})} | {med} | {low} |")
    return "\n".join(rows)
