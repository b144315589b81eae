"""A model's lineage: the sources and groups it was trained and validated on, and the overlap check.

A test score means something only on audio the model never heard. Every model
folder's ``config.json`` therefore carries a ``lineage``: for its ``train`` and
``val`` splits, each source (a package, a corpus) and the groups (speakers,
languages, pieces) of it that the run used. A model fine-tuned from another
(``init``) inherits that model's lineage too. :func:`check_overlap` compares it
with the clips an evaluation is about to score and refuses a clip whose source
*and* group the model trained or validated on (validation counts: the
calibration and the best epoch were chosen on it).

Groups are named within their source: the recorded corpus' group
``"klettres/en"`` and the letters corpus' ``"en"`` (both ``source="klettres"``)
are the same group, so a model trained on either is refused on the other.

>>> lin = Lineage({"klettres": ("af", "en")}, {"klettres": ("nl",)})
>>> lin.overlap([("klettres", "en"), ("ktuberling", "en")])
{'klettres': ['en']}
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .data import open_corpus
from .data.recorded import SOURCES
from .errors import ConfigError

__all__ = ["Lineage", "OverlapError", "clip_origin", "derive_lineage", "check_overlap", "TRAINED_ON",
           "EVAL_LOG_ENV", "record_evaluation"]

#: The label :func:`check_overlap` puts beside a method scored on clips it trained on (``--allow-overlap``).
TRAINED_ON = "trained on this"

#: Environment variable naming a JSON-lines file that every evaluation of a model appends a record to
#: (``tools/book.py`` sets it, and the book's tests read it: no page scores a model on its training data).
EVAL_LOG_ENV = "SRLIB_EVAL_LOG"


class OverlapError(ConfigError):
    """An evaluation would score a model on sources and groups it was trained or validated on."""


def _group_in_source(source: str, group: str) -> str:
    """A clip's group named within its source (``"klettres/en"`` -> ``"en"``)."""
    prefix = f"{source}/"
    return group[len(prefix):] if group.startswith(prefix) else group


def clip_origin(clip) -> tuple | None:
    """``(source, group)`` of a :class:`srlib.data.Clip` (group named within its source); None for anything else
    (a plain file name: audio whose origin nobody recorded)."""
    source, group = getattr(clip, "source", None), getattr(clip, "group", None)
    if source is None or group is None:
        return None
    return str(source), _group_in_source(str(source), str(group))


@dataclass(frozen=True)
class Lineage:
    """The sources and groups of a model's training and validation splits.

    Attributes
    ----------
    train, val : dict source -> tuple of group names (sorted)
    """

    train: dict = field(default_factory=dict)
    val: dict = field(default_factory=dict)

    @classmethod
    def from_clips(cls, train_clips, val_clips=()) -> "Lineage":
        """From the :class:`~srlib.data.Clip` records of the training and validation splits."""
        def table(clips):
            out: dict = {}
            for c in clips:
                source, group = clip_origin(c)
                out.setdefault(source, set()).add(group)
            return {s: tuple(sorted(g)) for s, g in sorted(out.items())}

        return cls(table(train_clips), table(val_clips))

    @classmethod
    def from_dict(cls, data: dict) -> "Lineage":
        return cls({s: tuple(g) for s, g in (data.get("train") or {}).items()},
                   {s: tuple(g) for s, g in (data.get("val") or {}).items()})

    def to_dict(self) -> dict:
        return {"train": {s: list(g) for s, g in self.train.items()},
                "val": {s: list(g) for s, g in self.val.items()}}

    def union(self, other: "Lineage") -> "Lineage":
        def merge(a, b):
            return {s: tuple(sorted(set(a.get(s, ())) | set(b.get(s, ())))) for s in sorted({*a, *b})}

        return Lineage(merge(self.train, other.train), merge(self.val, other.val))

    @property
    def seen(self) -> dict:
        """source -> set of groups trained or validated on."""
        out: dict = {}
        for table in (self.train, self.val):
            for s, groups in table.items():
                out.setdefault(s, set()).update(groups)
        return out

    def overlap(self, origins) -> dict:
        """The ``(source, group)`` pairs of ``origins`` that this lineage saw: ``{source: sorted groups}``."""
        seen, out = self.seen, {}
        for origin in origins:
            if origin is None:
                continue
            source, group = origin
            if group in seen.get(source, ()):
                out.setdefault(source, set()).add(group)
        return {s: sorted(g) for s, g in sorted(out.items())}

    def text(self) -> str:
        """``"klettres (20 groups), fillets-cs (12 groups)"``: the sources seen, for messages and cards."""
        seen = self.seen
        return ", ".join(f"{s} ({len(g)} group{'s' * (len(g) != 1)})" for s, g in seen.items()) or "nothing recorded"


def _recorded_lineage(content: str, quick: bool) -> Lineage:
    """The recorded corpus' training sources, from the packages' file lists (no decoding): every group of a
    ``role="train"`` source, including files the build later skips (a superset, so the check errs on refusing)."""
    train: dict = {}
    val: dict = {}
    for s in SOURCES.values():
        if s.content != content or s.role != "train":
            continue
        groups = list(dict.fromkeys(str(s.group(f)) for f in s.files()))
        if quick and content == "music":  # open_corpus' quick slice of music: the first 2 groups of each source
            groups = groups[:2]
        for g in groups:
            (val if s.split_of(g) == "val" else train).setdefault(s.name, set()).add(g)
    return Lineage({k: tuple(sorted(v)) for k, v in sorted(train.items())},
                   {k: tuple(sorted(v)) for k, v in sorted(val.items())})


def derive_lineage(train_config: dict) -> Lineage:
    """The lineage a training config implies: the train and val groups of its corpus (``corpus``, ``quick_data``).

    For a model folder written before lineages were recorded; ``srlib train`` records the clips it used.
    A ``max_clips`` slice is ignored: the whole splits' groups are a superset of what it used.
    """
    spec, quick = train_config.get("corpus"), bool(train_config.get("quick_data"))
    if not spec:
        return Lineage()
    if spec in ("recorded-speech", "recorded-music"):
        return _recorded_lineage(spec.split("-", 1)[1], quick)
    corpus = open_corpus(spec, quick=quick)
    return Lineage.from_clips(corpus.split("train"), corpus.split("val"))


def check_overlap(lineages: dict, clips, *, allow_overlap: bool = False) -> dict:
    """Which methods would be scored on clips they were trained on; raise unless ``allow_overlap``.

    Parameters
    ----------
    lineages : dict method name -> Lineage
        The methods that learned from data (baselines have none).
    clips : iterable
        The clips (or their names) about to be scored; :func:`clip_origin` reads each.
    allow_overlap : bool
        Return the overlap instead of raising (the table then labels those rows :data:`TRAINED_ON`).

    Returns
    -------
    dict method -> {source: [groups]} of the overlapping methods only.

    Raises
    ------
    OverlapError
        One line naming each method and the sources and groups it trained on.
    """
    origins = [clip_origin(c) for c in clips]
    found = {m: lin.overlap(origins) for m, lin in lineages.items()}
    found = {m: o for m, o in found.items() if o}
    if found and not allow_overlap:
        what = "; ".join(f"{m} trained on " + ", ".join(f"{s} ({', '.join(g[:4])}{', ...' * (len(g) > 4)})"
                                                        for s, g in o.items()) for m, o in found.items())
        raise OverlapError(f"evaluate: refusing to score models on their own training data: {what}. Score them on "
                           "sources held out of their training (e.g. --corpus recorded-speech --split test), "
                           "or pass --allow-overlap to label those rows 'trained on this'")
    return found


def record_evaluation(lineages: dict, clips, overlap: dict) -> None:
    """Append what an evaluation scored to the file named by ``$SRLIB_EVAL_LOG``, if set: each learned method's
    lineage (None: a callable with no model card, whose training data nobody can check), the clips' origins
    (``unknown_origin`` counts clips given by name alone) and the overlap found."""
    path = os.environ.get(EVAL_LOG_ENV)
    if not path or not lineages:
        return
    origins: dict = {}
    unknown = 0
    for c in clips:
        origin = clip_origin(c)
        if origin is None:
            unknown += 1
        else:
            origins.setdefault(origin[0], set()).add(origin[1])
    record = {"methods": {m: lin.text() if lin is not None else None for m, lin in lineages.items()},
              "unknown_origin": unknown,
              "clips": {s: sorted(g) for s, g in origins.items()}, "overlap": overlap}
    with open(Path(path), "a") as f:
        f.write(json.dumps(record) + "\n")
