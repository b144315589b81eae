"""The VCTK corpus (CSTR, University of Edinburgh): 109 English speakers, 48 kHz.

VCTK cannot be downloaded on the machines this course is built on, but if you
have it, point :func:`vctk_corpus` at its folder. Both public layouts are read:

- 0.80: ``wav48/p225/p225_001.wav``
- 0.92: ``wav48_silence_trimmed/p225/p225_001_mic1.flac`` (``mic1`` by default;
  p280 and p315 are left out as in NU-Wave, since they lack mic2 recordings)

and the two splits of the literature:

- ``"single"`` (Kuleshov et al. 2017): speaker p225 only, sorted by utterance
  number; the last 8 utterances are the test set, the 8 before them the
  validation set (the paper trained on the first 223 and had no validation
  set: ours holds out 8 of those), the rest train.
- ``"multi"`` (NU-Wave, AERO): test speakers p360 p361 p362 p363 p364 p374 p376;
  validation p225 p226 (not used for training); every other speaker trains.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import AudioError, ConfigError, DataSourceError
from .corpus import Clip, Corpus

__all__ = ["vctk_corpus", "VCTK_TEST_SPEAKERS", "VCTK_VAL_SPEAKERS"]

VCTK_TEST_SPEAKERS = ("p360", "p361", "p362", "p363", "p364", "p374", "p376")
VCTK_VAL_SPEAKERS = ("p225", "p226")
_EXCLUDED_092 = ("p280", "p315")

_RE_080 = re.compile(r"^(?P<spk>[ps]\d+)_(?P<utt>\d+)\.wav$")
_RE_092 = re.compile(r"^(?P<spk>[ps]\d+)_(?P<utt>\d+)_(?P<mic>mic[12])\.flac$")


def _layout(root: Path):
    if (root / "wav48_silence_trimmed").is_dir():
        return "0.92", root / "wav48_silence_trimmed", _RE_092
    if (root / "wav48").is_dir():
        return "0.80", root / "wav48", _RE_080
    raise AudioError(
        f"{root}: not a VCTK folder; expected wav48/ (VCTK 0.80) or wav48_silence_trimmed/ (VCTK 0.92) inside it"
    )


def vctk_corpus(root, split: str = "multi", *, mic: str = "mic1") -> Corpus:
    """Index a VCTK folder.

    Parameters
    ----------
    root : str or Path
        The folder that holds ``wav48/`` (0.80) or ``wav48_silence_trimmed/`` (0.92).
    split : {"single", "multi"}
        The split convention (see the module docstring).
    mic : {"mic1", "mic2"}
        Microphone of the 0.92 release.

    Returns
    -------
    Corpus with ``source="vctk"``; ``meta`` holds the version and utterance number.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataSourceError(f"{root}: VCTK folder does not exist")
    version, audio_root, pattern = _layout(root)
    items = []
    for path in sorted(audio_root.glob("*/*")):
        m = pattern.match(path.name)
        if not m or (version == "0.92" and m.group("mic") != mic):
            continue
        spk = m.group("spk")
        if version == "0.92" and spk in _EXCLUDED_092:
            continue
        items.append((spk, int(m.group("utt")), path))
    if not items:
        raise AudioError(f"{audio_root}: no VCTK utterances found")
    clips = []
    if split == "single":
        utts = sorted((u, p) for s, u, p in items if s == "p225")
        if len(utts) < 17:
            raise AudioError(f"{root}: the single-speaker split needs p225 with at least 17 utterances, found {len(utts)}")
        for i, (u, p) in enumerate(utts):
            part = "test" if i >= len(utts) - 8 else "val" if i >= len(utts) - 16 else "train"
            clips.append(Clip(str(p.resolve()), "p225", part, "vctk", meta={"version": version, "utterance": u}))
    elif split == "multi":
        for s, u, p in items:
            part = "test" if s in VCTK_TEST_SPEAKERS else "val" if s in VCTK_VAL_SPEAKERS else "train"
            clips.append(Clip(str(p.resolve()), s, part, "vctk", meta={"version": version, "utterance": u}))
    else:
        raise ConfigError(f"split: got {split!r}; expected 'single' or 'multi'")
    return Corpus(f"vctk-{version}-{split}", clips)
