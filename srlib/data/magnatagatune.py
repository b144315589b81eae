"""MagnaTagATune (Law et al. 2009): 25,863 clips of 29 s from Magnatune's catalogue, with tags.

The dataset is not on any package registry, so srlib never downloads it: point
:func:`magnatagatune_corpus` at a copy you have (``srlib train --corpus
magnatagatune:PATH``). Its layout: the clips in sixteen folders ``0`` to ``f``
(``f/american_bach_soloists-...-0-29.mp3``), ``annotations_final.csv`` (tab
separated: ``clip_id``, one 0/1 column per tag, ``mp3_path``) and, optionally,
``clip_info_final.csv`` (tab separated: ``clip_id``, ``title``, ``artist``, ...).

Groups are *songs* (several clips are cut from each track; clips of one song must
not straddle splits), the song being the artist and title of
``clip_info_final.csv`` where it is there, else the file name without its clip
numbers. Splits follow the usual convention of the tagging literature (Dieleman
& Schrauwen 2014): folders ``0``-``b`` train, ``c`` validation, ``d``-``f``
test. The clips are 16 kHz MP3s, so they serve targets of 16 kHz and below.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from ..errors import DataSourceError
from .corpus import Clip, Corpus

__all__ = ["magnatagatune_corpus", "MTAT_SPLITS"]

#: The conventional split of the sixteen clip folders.
MTAT_SPLITS = {**{f: "train" for f in "0123456789ab"}, "c": "val", **{f: "test" for f in "def"}}

_CLIP_NUMBERS = re.compile(r"-\d+-\d+$")


def _rows(path: Path) -> list:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def magnatagatune_corpus(root, annotations: str = "annotations_final.csv",
                         clip_info: str = "clip_info_final.csv") -> Corpus:
    """The MagnaTagATune clips below ``root``, split by song, with their tags in ``meta["tags"]``.

    Parameters
    ----------
    root : path
        Folder holding the clip folders and the annotation CSV.
    annotations, clip_info : str
        File names of the tag table and the (optional) clip information table.

    Returns
    -------
    Corpus with ``source="magnatagatune"``; clips listed in the table but missing on disk are left out.

    Raises
    ------
    DataSourceError
        ``root`` or the annotation table is missing, or no listed clip exists.
    """
    root = Path(root)
    table = root / annotations
    if not table.is_file():
        raise DataSourceError(f"{table}: no MagnaTagATune annotation table; expected the dataset's "
                              f"{annotations} beside its clip folders 0-f (srlib does not download it)")
    info = {r["clip_id"]: r for r in _rows(root / clip_info)} if (root / clip_info).is_file() else {}
    clips = []
    for row in _rows(table):
        rel = row.get("mp3_path", "")
        path = root / rel
        if not rel or not path.is_file():
            continue
        meta = info.get(row.get("clip_id", ""), {})
        song = (f"{meta['artist']} - {meta['title']}" if meta.get("artist") and meta.get("title")
                else _CLIP_NUMBERS.sub("", Path(rel).stem))
        tags = sorted(k for k, v in row.items() if k not in ("clip_id", "mp3_path") and v == "1")
        split = MTAT_SPLITS.get(Path(rel).parts[0], "train")
        clips.append(Clip(str(path.resolve()), song, split, "magnatagatune", 29.1,
                          {"clip_id": row.get("clip_id"), "tags": tags, "licence": "CC BY-NC-SA 1.0 (Magnatune)"}))
    if not clips:
        raise DataSourceError(f"{table}: none of the clips it lists exists below {root}")
    return Corpus("magnatagatune", clips)
