"""The embedded default corpora: real audio that a fresh machine gets from package registries alone.

No machine that builds this course reaches the internet beyond the package
registries, so the default data is built from what they ship (see ``DATA.md``
for licences and attribution):

**speech** (``source="klettres"``): Debian's ``klettres-data`` package holds
1,836 Ogg recordings (about 51 minutes) of letters and syllables spoken by
native speakers of 20 languages, almost all at 44.1 kHz. Each file is mixed to
mono, trimmed of leading and trailing silence (30 dB below its peak),
resampled to 16 kHz and stored as FLAC. The group is the *language* (the
package does not name its speakers; one language is one or a few speakers),
so the split below is language- and speaker-disjoint:

- test: en, en_GB, de, ru, es (about 7 minutes)
- val: nl, it (about 2.6 minutes)
- train: the other 13 languages (about 41 minutes; Malayalam alone is 21)

**music** (``source="music21"``): scores from the corpus inside the
``music21`` wheel (Bach chorales, Beethoven and Haydn quartets, Monteverdi
madrigals, ...) rendered to 44.1 kHz with FluidSynth and the General MIDI
SoundFont ``TimGM6mb.sf2`` that ships in the ``pretty_midi`` wheel. Each part
gets an instrument drawn (seeded) from a palette of bright timbres, so the
audio holds real content up to 12-19 kHz (the SoundFont's piano and flute
stop near 7 kHz and are left out). The group is the piece; pieces are taken in
a seeded order and dealt to splits in a repeating pattern of ten (test, val,
then eight train), so even a two-minute slice has all three splits.

Every clip's measured effective bandwidth (:func:`srlib.spectral.effective_bandwidth_hz`
on the source audio) is stored in its ``meta``; ``srlib data info`` prints them.
Clips are built once into a cache folder (``$SRLIB_CACHE``, default
``~/.cache/srlib``) and reused; a build is deterministic for a given seed.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm.auto import tqdm

from ..audio import resample, save
from ..errors import ConfigError, DataSourceError
from ..spectral import effective_bandwidth_hz
from .corpus import Clip, Corpus

__all__ = [
    "cache_dir",
    "default_corpus",
    "build_speech",
    "build_music",
    "KLETTRES_ROOT",
    "SPEECH_TEST_LANGUAGES",
    "SPEECH_VAL_LANGUAGES",
    "MUSIC_PROGRAMS",
]

KLETTRES_ROOT = Path("/usr/share/klettres")
SPEECH_TEST_LANGUAGES = ("en", "en_GB", "de", "ru", "es")
SPEECH_VAL_LANGUAGES = ("nl", "it")
SPEECH_SR_HZ = 16000
MUSIC_SR_HZ = 44100
MAX_PIECE_S = 60.0  # longer pieces are cut (with a fade): more pieces, more variety

#: General MIDI programs used for the music corpus, with their measured
#: effective bandwidth in TimGM6mb (-60 dB): harpsichord 15.9 kHz, church organ 11.9,
#: violin 15.5, viola, cello 11.1, string ensemble 12.9, trumpet 19.6, brass 12.3,
#: oboe 14.9, square lead 15.2, sawtooth lead 11.2.
MUSIC_PROGRAMS = (6, 19, 40, 41, 42, 48, 56, 61, 68, 80, 81)

#: music21 corpus composers whose works are rendered (multi-part scores).
MUSIC_COMPOSERS = ("bach", "beethoven", "haydn", "mozart", "monteverdi", "josquin", "schumann_robert", "trecento")

_MUSIC_SPLIT_PATTERN = ("test", "val") + ("train",) * 8

#: Version of the rendering recipe, part of every cached piece's file key: a change
#: in how pieces are rendered must not reuse files rendered the old way.
_MUSIC_RECIPE = "percussion-v3"

#: The light percussion part added to every piece (General MIDI drum notes): a closed
#: hi-hat on each beat and a ride cymbal on each downbeat, rendered on its own and mixed
#: PERCUSSION_DB (seeded per piece) below the music's RMS level. Measured on the first
#: eight pieces: without it the pitched programs of TimGM6mb reach 12.0-15.0 kHz (-60 dB
#: bandwidth); with it 18.6-19.6 kHz, so the band a 44.1 kHz model must restore holds real
#: content. (Rendered together with the parts, TimGM6mb's drums sit ~40 dB below sustained
#: strings: too quiet to hear or to matter.)
HIHAT_CLOSED, RIDE = 42, 51
PERCUSSION_DB = (-24.0, -18.0)

_LICENCES = {
    "klettres": "klettres-data (Debian), KDE KLettres sounds, GPL-2+ / GFDL; recorded by KDE contributors",
    "music21": "music21 corpus scores (public domain works; music21 corpus licence, see DATA.md), "
               "rendered with FluidSynth (LGPL-2.1) and TimGM6mb.sf2 (GPL-2, Tim Brechbill) from pretty_midi",
}


def cache_dir() -> Path:
    """Folder for built corpora and training pairs: ``$SRLIB_CACHE`` or ``~/.cache/srlib``."""
    return Path(os.environ.get("SRLIB_CACHE") or Path.home() / ".cache" / "srlib")


def _speech_files(languages=None) -> list[Path]:
    if not KLETTRES_ROOT.is_dir():
        raise DataSourceError(
            f"{KLETTRES_ROOT}: the embedded speech corpus needs Debian's klettres-data package; "
            "run 'make install' (or 'sudo apt-get install klettres-data'), or use a folder corpus"
        )
    files = sorted(KLETTRES_ROOT.glob("*/*/*.ogg"))
    if languages is not None:
        files = [f for f in files if f.parts[-3] in languages]
    return files


def _speech_split(language: str) -> str:
    if language in SPEECH_TEST_LANGUAGES:
        return "test"
    return "val" if language in SPEECH_VAL_LANGUAGES else "train"


def build_speech(out_dir=None, *, max_per_language: int | None = None, progress: bool = False) -> Corpus:
    """Build (or reuse) the embedded speech corpus from klettres-data.

    Parameters
    ----------
    out_dir : path, optional
        Where the FLAC files go; default ``cache_dir() / "corpus" / "speech"``.
    max_per_language : int, optional
        Keep the first N files of each language (sorted by path): a quick slice.

    Returns
    -------
    Corpus of 16 kHz mono FLAC clips, group = language.
    """
    import librosa
    out_dir = Path(out_dir or cache_dir() / "corpus" / "speech")
    files = _speech_files()
    if max_per_language is not None:
        by_lang: dict[str, list[Path]] = {}
        for f in files:
            by_lang.setdefault(f.parts[-3], []).append(f)
        files = [f for fs in by_lang.values() for f in fs[:max_per_language]]
    clips = []
    for f in tqdm(files, desc="speech corpus", unit="file", disable=not progress):
        lang, kind = f.parts[-3], f.parts[-2]
        dest = out_dir / lang / f"{kind}_{f.stem}.flac"
        meta_path = dest.with_suffix(".bw")
        if not dest.exists() or not meta_path.exists():
            x, sr = sf.read(str(f), dtype="float32", always_2d=True)
            x = x.mean(axis=1)
            x, _ = librosa.effects.trim(x, top_db=30)
            if len(x) < sr // 10:
                continue  # nothing left after trimming
            bw = effective_bandwidth_hz(x, sr)
            y = resample(x, sr, SPEECH_SR_HZ)
            y = 0.9 * y / max(float(np.abs(y).max()), 1e-6)
            dest.parent.mkdir(parents=True, exist_ok=True)
            save(dest, y, SPEECH_SR_HZ, overwrite=True)
            meta_path.write_text(f"{bw} {sr}")
        bw, src_sr = meta_path.read_text().split()
        n = sf.info(str(dest)).frames
        clips.append(Clip(str(dest), lang, _speech_split(lang), "klettres", n / SPEECH_SR_HZ,
                          {"language": lang, "kind": kind, "source_file": str(f), "source_sr_hz": int(src_sr),
                           "bandwidth_hz": float(bw), "licence": _LICENCES["klettres"]}))
    return Corpus("klettres-speech" + (f"[{max_per_language}/lang]" if max_per_language else ""), clips)


def _music_candidates(seed: int) -> list[str]:
    from music21 import corpus as m21corpus

    paths = []
    for composer in MUSIC_COMPOSERS:
        # roman-numeral analyses (.rntxt) are chord labels, not scores
        paths += sorted(str(p) for p in m21corpus.getComposer(composer) if not str(p).endswith(".rntxt"))
    rng = np.random.default_rng(seed)
    return [paths[i] for i in rng.permutation(len(paths))]


def _percussion(pm, rng: np.random.Generator):
    """A General MIDI drum part for ``pm``: closed hi-hat on each beat, ride on each downbeat (seeded velocities)."""
    import pretty_midi

    drums = pretty_midi.Instrument(program=0, is_drum=True, name="percussion")
    end = pm.get_end_time()
    for t in pm.get_beats():
        if t < end - 0.1:
            drums.notes.append(pretty_midi.Note(int(rng.integers(64, 96)), HIHAT_CLOSED, float(t), float(t) + 0.1))
    for t in pm.get_downbeats():
        if t < end - 0.4:
            drums.notes.append(pretty_midi.Note(int(rng.integers(56, 88)), RIDE, float(t), float(t) + 0.4))
    return drums


def _render_piece(score_path: str, programs_rng: np.random.Generator, sf2: str):
    """Render one music21 score to mono float32 at 44.1 kHz; returns (audio, programs) or None.

    Each part gets a seeded program from :data:`MUSIC_PROGRAMS`; a light percussion part
    (:func:`_percussion`) is rendered separately and mixed :data:`PERCUSSION_DB` below the music.
    """
    import pretty_midi
    from music21 import corpus as m21corpus

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        score = m21corpus.parse(score_path)
        with tempfile.TemporaryDirectory() as tmp:
            midi_path = score.write("midi", fp=os.path.join(tmp, "piece.mid"))
            pm = pretty_midi.PrettyMIDI(str(midi_path))
    if not pm.instruments or pm.get_end_time() < 5:
        return None
    programs = []
    for inst in pm.instruments:
        inst.is_drum = False
        inst.program = int(MUSIC_PROGRAMS[programs_rng.integers(len(MUSIC_PROGRAMS))])
        programs.append(inst.program)
    y = pm.fluidsynth(fs=MUSIC_SR_HZ, sf2_path=sf2)[: int(MAX_PIECE_S * MUSIC_SR_HZ)]
    if y.size == 0 or not np.any(y):
        return None
    kit = pretty_midi.PrettyMIDI()
    kit.instruments.append(_percussion(pm, programs_rng))
    drums = kit.fluidsynth(fs=MUSIC_SR_HZ, sf2_path=sf2)[: len(y)] if kit.instruments[0].notes else np.zeros(0)
    if np.any(drums):
        level_db = programs_rng.uniform(*PERCUSSION_DB)
        gain = np.sqrt(np.mean(y**2) / np.mean(drums**2)) * 10 ** (level_db / 20)
        y[: len(drums)] += gain * drums
    fade = np.linspace(1.0, 0.0, MUSIC_SR_HZ // 2)  # pieces cut at MAX_PIECE_S end with a fade
    y[-len(fade):] *= fade
    return (0.9 * y / np.abs(y).max()).astype(np.float32), programs


def build_music(out_dir=None, *, minutes: float = 20.0, seed: int = 0, progress: bool = False) -> Corpus:
    """Build (or reuse) the embedded music corpus: music21 scores rendered with FluidSynth.

    Parameters
    ----------
    out_dir : path, optional
        Default ``cache_dir() / "corpus" / "music"``.
    minutes : float
        Render pieces (in a seeded order) until at least this much audio exists.
    seed : int
        Piece order, instrument choices and the piece-disjoint split.

    Returns
    -------
    Corpus of 44.1 kHz mono FLAC clips, group = piece.
    """
    try:
        import fluidsynth  # noqa: F401  (pyfluidsynth, needs libfluidsynth3)
        import pretty_midi
    except (ImportError, OSError) as exc:
        raise DataSourceError(
            f"the embedded music corpus needs pyfluidsynth and Debian's libfluidsynth3 ({exc}); run 'make install'"
        ) from None
    sf2 = str(Path(pretty_midi.__file__).parent / "TimGM6mb.sf2")
    out_dir = Path(out_dir or cache_dir() / "corpus" / "music")
    clips, total_s = [], 0.0
    bar = tqdm(total=round(minutes * 60), desc="music corpus", unit="s", disable=not progress)
    for score_path in _music_candidates(seed):
        if total_s >= minutes * 60:
            break
        key = hashlib.sha1(f"{seed}:{score_path}:{_MUSIC_RECIPE}".encode()).hexdigest()[:10]
        rel = score_path.split("/corpus/")[-1]
        name = rel.replace("/", "_").rsplit(".", 1)[0]
        dest = out_dir / f"{name}_{key}.flac"
        meta_path = dest.with_suffix(".meta")
        if not dest.exists() or not meta_path.exists():
            rng = np.random.default_rng(int(key, 16))
            try:
                rendered = _render_piece(score_path, rng, sf2)
            except Exception:  # noqa: BLE001  (a score music21 cannot turn into MIDI is skipped)
                rendered = None
            dest.parent.mkdir(parents=True, exist_ok=True)
            if rendered is None:
                meta_path.write_text("skip")
                continue
            y, programs = rendered
            save(dest, y, MUSIC_SR_HZ, overwrite=True)
            meta_path.write_text(f"{effective_bandwidth_hz(y, MUSIC_SR_HZ)} {' '.join(map(str, programs))}")
        meta = meta_path.read_text().split()
        if meta == ["skip"]:
            continue
        dur = sf.info(str(dest)).frames / MUSIC_SR_HZ
        total_s += dur
        bar.update(round(dur))
        composer = rel.split("/")[0]
        part = _MUSIC_SPLIT_PATTERN[len(clips) % len(_MUSIC_SPLIT_PATTERN)]
        clips.append(Clip(str(dest), name, part, "music21", dur,
                          {"composer": composer, "score": rel, "programs": [int(p) for p in meta[1:]],
                           "bandwidth_hz": float(meta[0]), "licence": _LICENCES["music21"]}))
    bar.close()
    return Corpus(f"music21-music-{minutes:g}min", clips)


def default_corpus(kind: str = "speech", *, quick: bool = False, progress: bool = False) -> Corpus:
    """The default corpus of a kind, built on first use.

    Parameters
    ----------
    kind : {"speech", "music"}
    quick : bool
        A small slice for tests and the quick profile: 4 files per language
        (speech) or about 2.5 minutes (music). The full corpus reuses its files.

    Examples
    --------
    >>> corpus = default_corpus("speech", quick=True)  # doctest: +SKIP
    >>> corpus.groups("test")  # doctest: +SKIP
    ['de', 'en', 'en_GB', 'es', 'ru']
    """
    if kind == "speech":
        return build_speech(max_per_language=4 if quick else None, progress=progress)
    if kind == "music":
        return build_music(minutes=2.5 if quick else 20.0, progress=progress)
    raise ConfigError(f"kind: got {kind!r}; expected 'speech' or 'music'")
