"""Corpora of real recordings from Debian's package registry: speech and produced music.

The letters-and-syllables speech corpus and the FluidSynth music corpus teach
well but generalise badly: a model learns their voices, words and synthesiser.
Debian ships far more real recordings inside game, education and input-method
packages; this module builds corpora from them (``scripts/install-system-deps.sh``
installs the packages; ``DATA.md`` has licences and attribution). :data:`SOURCES`
lists them:

- speech: acted Czech game dialogue (``fillets-ng-data-cs``, sentences, about
  a dozen voices), spoken stamp descriptions in ~12 languages
  (``tuxpaint-stamps-default``), letters and syllables in 20 languages
  (``klettres-data``), Mandarin syllables read by two speakers (``gcin-voice``),
  acted unit replies of a strategy game, 23 voices (``megaglest-data``),
  single words in ~25 languages (``ktuberling-data``) and acted exclamations
  of voice packs (``hedgewars-data``);
- music: orchestral and folk scores as produced recordings
  (``wesnoth-1.16-music``), game music (``hedgewars-data``) and rock/metal full
  mixes (``fretsonfire-songs-muldjord``, ``fretsonfire-songs-sectoid``: the
  backing track and the guitar track summed).

**Splits by group, with whole sources held out.** A group is a speaker or voice
(fillets' character code, a voice pack), a language where a package does not
name its speakers, or a piece. Sources with ``role="test"`` are held out whole:
every clip is in the test split, so a model trained on the corpus is always
judged on packages, voices, languages and recording chains it never heard
(speech: ktuberling and the hedgewars voices; music: the sectoid songs). The
training sources' groups go to train, except the few named in ``val_groups``.

**Level.** Clips are stored at their recorded level (mixed to mono, never
normalised; the RMS level is in ``meta["level_dbfs"]``); level-robust training
draws a random gain instead (:func:`srlib.data.make_dataset`'s ``gain_db``).

**The bandwidth gate.** Every clip's effective bandwidth (-60 dB below the
spectral peak, :func:`srlib.spectral.effective_bandwidth_hz`) is measured on the
source file. :func:`gate` admits a clip for a target rate only when that
bandwidth reaches :data:`GATE_FRACTION` of the target's Nyquist frequency, so no
model is taught to produce an empty band because the "high-rate" file had none
(tuxpaint's Catalan descriptions, recorded at 8 kHz and stored at 44.1 kHz, for
one). :func:`srlib.data.make_pairs` applies it.

Clips are decoded once, in parallel worker processes, into the cache
(``cache_dir()/corpus/recorded/SOURCE``, FLAC); a re-build reuses them and is
deterministic.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm.auto import tqdm

from ..audio import resample, save
from ..errors import ConfigError, DataSourceError
from ..spectral import effective_bandwidth_hz
from .corpus import Clip, Corpus
from .embedded import cache_dir

__all__ = ["RecordedSource", "SOURCES", "GATE_FRACTION", "STORE_SR_HZ", "MEGAGLEST_NOT_SPEECH", "MEGAGLEST_REWORKED",
           "MEGAGLEST_COPIES", "build_recorded", "gate", "source_table", "sources_overview", "missing_packages"]

#: A clip is admitted for target rate ``sr_hz`` when its measured bandwidth is at least
#: ``GATE_FRACTION * sr_hz / 2``. Measured here: the -60 dB bandwidth of a file recorded at
#: 22.05 kHz is 10.3-11.0 kHz (0.93-1.0 of its Nyquist), and the Vorbis encoder's low-pass ends
#: most 44.1 kHz music at 17.7-21 kHz (0.8-0.95); speech recorded at 8 kHz and stored at 44.1 kHz
#: measures under 4 kHz, and some Wesnoth pieces 10.5 kHz. 0.8 admits the first two kinds and
#: refuses the last two: for a 16 kHz target, content to 6.4 kHz; for 44.1 kHz, to 17.6 kHz.
GATE_FRACTION = 0.8

#: Storage rate of each content kind in Hz (clips recorded lower are stored at their own rate).
STORE_SR_HZ = {"speech": 24000, "music": 44100}

_TRIM_DB = 40  # leading and trailing silence this far below a speech clip's peak is trimmed
_MIN_CLIP_S = 0.2


def _fillets_voice(path: Path) -> str:
    """Fish Fillets' speaker code: ``level-SPEAKER-line.ogg`` (``m`` the small fish, ``v`` the big one, ...);
    files named otherwise (``kd-mesto``, ``help7``, ``rand-0-5-1``) name no speaker: group ``other``."""
    parts = path.stem.split("-")
    if len(parts) == 3 and re.fullmatch(r"[a-z]{1,4}", parts[1]):
        return parts[1]
    return "other"


def _parent(level: int = 1):
    return lambda p: p.parents[level - 1].name


def _after(marker: str):
    return lambda p: p.stem.rsplit(marker, 1)[-1]


_MEGAGLEST_REPLY = re.compile(r"(?P<voice>.+)_(ack|select)\d+")

#: MegaGlest units (``FACTION/UNIT``; ``common/VOICE`` for the shared voices) whose replies are not human speech:
#: animals and creatures, and processed or effect voices (on their spectrograms, no voice with clear harmonics and
#: moving formants). Their replies are left out of the ``megaglest`` source.
MEGAGLEST_NOT_SPEECH = frozenset({
    "common/cow", "common/pig", "common/daemon", "common/golem", "egypt/anubis_warrior", "egypt/chicken",
    "egypt/mummy", "indian/bull", "indian/thunderbird", "magic/behemoth", "magic/dragon", "magic/dragon_rider",
    "magic/evil_dragon", "magic/ghost_armor", "norsemen/wild_sow", "persian/genie"})

#: MegaGlest units whose replies are another unit's recordings reworked, left out so that each recording is heard
#: once: the norse berserkers' are their unit's played backwards; persian stickfighter's and fakir's, the indian
#: stickfighter's played slower and faster (1.11 and 0.91 times the duration); persian swordman's, the shared
#: swordman's played slower (1.25 times); indian worker's, the shared worker's re-pitched.
MEGAGLEST_REWORKED = frozenset({
    "norsemen/battleaxe_berserk", "norsemen/spearman_berserk", "norsemen/swordman_berserk",
    "persian/stickfighter", "persian/fakir", "persian/swordman", "indian/worker"})

#: MegaGlest reply files (``FACTION/UNIT/FILE``) that are re-saved copies of another reply file (waveform
#: cross-correlation of 0.99 or more with it, though not byte-identical), left out.
MEGAGLEST_COPIES = frozenset({
    "indian/horseman/horseman_ack3.wav", "indian/spearman/stickfighter_select6.wav",
    "magic/battlemage/battlemage_ack9.wav", "norsemen/flying_valkyrie/horseman_ack4.wav",
    "norsemen/swordman/swordman_select1.wav", "norsemen/swordman/swordman_select5.wav"})


def _megaglest_unit(path: Path) -> str:
    """``FACTION/UNIT`` of a MegaGlest megapack sound ``factions/FACTION/units/UNIT/sounds/FILE``, or
    ``common/VOICE`` for a shared one, ``commondata/sounds/VOICE_ackN.wav`` (it names no unit folder)."""
    if path.parents[1].name == "commondata":
        match = _MEGAGLEST_REPLY.fullmatch(path.stem)
        return f"common/{match['voice'] if match else path.stem}"
    return f"{path.parents[3].name}/{path.parents[1].name}"


def _megaglest_voice(path: Path) -> str:
    """A MegaGlest reply's group, ``FACTION-VOICE``: the faction (``common`` for the shared voices) and the voice the
    file is named after, so units that share a voice share a group (norsemen's spearman and swordman both speak
    ``swordman_*`` files: ``norsemen-swordman``; their battleaxe man speaks ``daemon_*`` files: ``norsemen-daemon``)."""
    match = _MEGAGLEST_REPLY.fullmatch(path.stem)
    return f"{_megaglest_unit(path).split('/')[0]}-{match['voice'] if match else path.stem}"


def _megaglest_reply(path: Path) -> bool:
    """Whether a MegaGlest sound is a clip of the ``megaglest`` source: a unit's spoken reply (``_ackN``,
    ``_selectN``; never its ``_attack``, ``_die`` or ``_hit`` grunts) by a unit in neither
    :data:`MEGAGLEST_NOT_SPEECH` nor :data:`MEGAGLEST_REWORKED`, and not one of :data:`MEGAGLEST_COPIES`."""
    unit = _megaglest_unit(path)
    return (_MEGAGLEST_REPLY.fullmatch(path.stem) is not None and unit not in MEGAGLEST_NOT_SPEECH
            and unit not in MEGAGLEST_REWORKED and f"{unit}/{path.name}" not in MEGAGLEST_COPIES)


@dataclass(frozen=True)
class RecordedSource:
    """One Debian package's recordings and how to read them.

    Attributes
    ----------
    name : str
        Short name, also the ``source`` of its clips.
    package : str
        The Debian package that installs the files.
    content : str
        ``"speech"`` or ``"music"``.
    pattern : str
        Glob of the audio files below ``root`` (``**`` allowed).
    group : callable(Path) -> str
        The file's speaker, voice, language or piece.
    language : callable(Path) -> str, or None
        The file's language (speech), where the package says it.
    licence : str
    description : str
    role : str
        ``"train"`` (its groups go to train and val) or ``"test"`` (held out whole).
    val_groups : tuple of str
        Groups of a training source that form the validation split.
    companions : tuple of str
        File names in the same folder summed into the clip (a song's separate guitar track).
    keep : callable(Path) -> bool, or None
        Which of the files ``pattern`` matches are clips (default: all): what a glob cannot say (a game's spoken
        replies but not its grunts, human voices but not creatures).
    root : str
        Where the package installs (tests point it at a fixture folder).
    """

    name: str
    package: str
    content: str
    pattern: str
    group: object
    language: object = None
    licence: str = ""
    description: str = ""
    role: str = "train"
    val_groups: tuple = ()
    companions: tuple = ()
    keep: object = None
    root: str = "/"

    def files(self) -> list:
        """The source's audio files, sorted: those ``pattern`` matches and ``keep`` admits, each real file once.

        Companion tracks are not clips of their own, and a symbolic link to a file that is listed already (a package
        that shares one recording between two folders) is left out: the real file stays, the links go.
        """
        root = Path(self.root)
        matched = [p for p in root.glob(self.pattern.lstrip("/"))
                   if p.is_file() and p.name not in self.companions and (self.keep is None or self.keep(p))]
        seen, files = set(), []
        for p in sorted(matched, key=lambda p: (p.is_symlink(), p)):  # real files before the links to them
            real = p.resolve()
            if real not in seen:
                seen.add(real)
                files.append(p)
        return sorted(files)

    def installed(self) -> bool:
        return bool(self.files())

    def split_of(self, group: str) -> str:
        if self.role == "test":
            return "test"
        return "val" if group in self.val_groups else "train"


#: Every real-recording source, by name (``DATA.md`` has the same table with attribution).
SOURCES = {s.name: s for s in (
    RecordedSource("fillets-cs", "fillets-ng-data-cs", "speech", "usr/share/games/fillets-ng/sound/*/cs/*.ogg",
                   group=_fillets_voice, language=lambda p: "cs",
                   licence="GPL-2+ (Fish Fillets NG data, ALTAR interactive)",
                   description="acted Czech dialogue of the game Fish Fillets NG: full sentences, ~12 voices "
                               "(two lead voices speak most lines)",
                   val_groups=("x", "pap", "r")),
    RecordedSource("tuxpaint", "tuxpaint-stamps-default", "speech", "usr/share/tuxpaint/stamps/**/*_desc_*.ogg",
                   group=_after("_desc_"), language=_after("_desc_"),
                   licence="GPL-2+ (Tux Paint stamps, New Breed Software and contributors)",
                   description="spoken descriptions of Tux Paint's stamps, one reader per language (~12 languages)",
                   val_groups=("da",)),
    RecordedSource("klettres", "klettres-data", "speech", "usr/share/klettres/*/*/*.ogg",
                   group=_parent(2), language=_parent(2),
                   licence="GPL-2+ / GFDL (KDE KLettres sounds)",
                   description="letters and syllables read by native speakers of 20 languages",
                   val_groups=("nl", "it")),
    RecordedSource("gcin", "gcin-voice", "speech", "usr/share/gcin-voice/ogg/*/*.ogg",
                   group=lambda p: p.stem, language=lambda p: "zh",
                   licence="GPL-3 or LGPL-3 (voice 3, (c) 2014 Edward Der-Hua Liu) / CC BY 3.0 (voice 5, "
                           "ChionMeilin team, from the voice of Chu Lo)",
                   description="Mandarin syllables with their tones, read by two speakers (the file name, 3 or 5, "
                               "is the speaker; the folder, the syllable in bopomofo) for the gcin input method"),
    RecordedSource("megaglest", "megaglest-data", "speech", "usr/share/games/megaglest/techs/megapack/**/sounds/*.wav",
                   group=_megaglest_voice, keep=_megaglest_reply,
                   licence="CC BY-SA 3.0 (MegaGlest data: the Glest and MegaGlest teams, Titus Tscharntke and "
                           "contributors)",
                   description="acted replies of the strategy game MegaGlest's units when selected or ordered, 23 "
                               "human voices (creatures, effect voices, reworked copies and grunts left out)",
                   val_groups=("persian-princess", "common-guard")),
    RecordedSource("ktuberling", "ktuberling-data", "speech", "usr/share/ktuberling/sounds/*/*.ogg",
                   group=_parent(1), language=_parent(1), role="test",
                   licence="GPL-2+ (KDE KTuberling sounds)",
                   description="single words in ~25 languages (held out whole: the cross-corpus test)"),
    RecordedSource("hedgewars-voices", "hedgewars-data", "speech",
                   "usr/share/games/hedgewars/Data/Sounds/voices/*/*.ogg",
                   group=_parent(1), role="test",
                   licence="GPL-2 (Hedgewars data)",
                   description="acted exclamations of 15 voice packs (held out whole: the cross-corpus test)"),
    RecordedSource("wesnoth", "wesnoth-1.16-music", "music", "usr/share/games/wesnoth/1.16/data/core/music/*.ogg",
                   group=lambda p: p.stem, licence="GPL-2+ (Battle for Wesnoth music)",
                   description="orchestral and folk scores of Battle for Wesnoth, produced recordings",
                   val_groups=("battle-epic", "elvish-theme", "the_city_falls")),
    RecordedSource("hedgewars-music", "hedgewars-data", "music", "usr/share/games/hedgewars/Data/Music/*.ogg",
                   group=lambda p: p.stem, licence="GPL-2 / CC BY-SA (Hedgewars music, see its credits.txt)",
                   description="Hedgewars game music", val_groups=("Castle", "snow")),
    RecordedSource("fof-muldjord", "fretsonfire-songs-muldjord", "music",
                   "usr/share/games/fretsonfire/data/songs/muldjord/*/song.ogg",
                   group=_parent(1), companions=("guitar.ogg", "rhythm.ogg"),
                   licence="CC BY-NC-SA (Frets on Fire songs by Muldjord)",
                   description="metal songs: backing and guitar tracks summed to the full mix"),
    RecordedSource("fof-sectoid", "fretsonfire-songs-sectoid", "music",
                   "usr/share/games/fretsonfire/data/songs/sectoid/*/song.ogg",
                   group=_parent(1), companions=("guitar.ogg", "rhythm.ogg"), role="test",
                   licence="CC BY-NC-SA (Frets on Fire songs by Sectoid)",
                   description="rock songs, full mixes (held out whole: the cross-corpus test)"),
)}


def missing_packages(content: str, sources=None) -> list:
    """Debian packages of ``content``'s sources (or of the named ``sources``) whose files are not installed."""
    chosen = _chosen(content, sources)
    return sorted({s.package for s in chosen if not s.installed()})


def _chosen(content: str, sources=None) -> list:
    if content not in STORE_SR_HZ:
        raise ConfigError(f"content: got {content!r}; expected one of {', '.join(STORE_SR_HZ)}")
    chosen = [s for s in SOURCES.values() if s.content == content and (sources is None or s.name in sources)]
    if sources is not None and len(chosen) != len(set(sources)):
        known = ", ".join(s.name for s in SOURCES.values() if s.content == content)
        raise ConfigError(f"sources: got {list(sources)}; the {content} sources are {known}")
    return chosen


def _decode(task):
    """Worker: decode one source file into a cached FLAC clip and its measured facts (a dict), or None."""
    src, companions, dest, content = task
    import librosa
    meta_path = Path(dest).with_suffix(".json")
    if Path(dest).exists() and meta_path.exists():
        return json.loads(meta_path.read_text())
    try:
        x, sr = sf.read(src, dtype="float32", always_2d=True)
        x = x.mean(axis=1)
        for comp in companions:  # a separately stored track of the same song: sum to the full mix
            y, sr_c = sf.read(comp, dtype="float32", always_2d=True)
            if sr_c == sr:
                y = y.mean(axis=1)[: len(x)]
                x[: len(y)] += y
    except (sf.LibsndfileError, RuntimeError, ValueError) as exc:
        facts = {"skip": f"unreadable ({exc})"}
    else:
        if content == "speech" and np.any(x):
            x, _ = librosa.effects.trim(x, top_db=_TRIM_DB)
        if len(x) < _MIN_CLIP_S * sr or not np.any(x):
            facts = {"skip": "silent or shorter than 0.2 s"}
        else:
            store_sr = min(int(sr), STORE_SR_HZ[content])
            bw = min(effective_bandwidth_hz(x, sr), store_sr / 2)
            y = resample(x, sr, store_sr) if store_sr != sr else x
            peak = float(np.abs(y).max())
            if peak > 1.0:  # a summed mix may exceed full scale: scaled down, never up
                y = y / peak
            Path(dest).parent.mkdir(parents=True, exist_ok=True)
            save(dest, y, store_sr, overwrite=True)
            facts = {"source_sr_hz": int(sr), "sr_hz": store_sr, "duration_s": len(y) / store_sr,
                     "bandwidth_hz": float(bw), "level_dbfs": float(10 * np.log10(np.mean(y**2) + 1e-20))}
    Path(dest).parent.mkdir(parents=True, exist_ok=True)
    meta_path.write_text(json.dumps(facts))
    return facts


def build_recorded(content: str = "speech", *, sources=None, out_dir=None, max_files_per_group: int | None = None,
                   max_groups_per_source: int | None = None, jobs: int | None = None,
                   progress: bool = False) -> Corpus:
    """Build (or reuse) the real-recording corpus of ``content`` from the installed Debian packages.

    Parameters
    ----------
    content : {"speech", "music"}
    sources : iterable of str, optional
        Names of :data:`SOURCES` to use (default: every source of ``content``).
    out_dir : path, optional
        Cache folder of the decoded clips; default ``cache_dir() / "corpus" / "recorded"``.
    max_files_per_group : int, optional
        Keep the first N files of each group (sorted by path): a quick slice with every group.
    max_groups_per_source : int, optional
        Keep the first N groups of each source (in file order): a quick slice of a corpus of long pieces.
    jobs : int, optional
        Worker processes that decode (default: the CPU count); 1 decodes in this process.
    progress : bool
        Show a progress bar.

    Returns
    -------
    Corpus of mono FLAC clips at their recorded level (at most 24 kHz for speech, 44.1 kHz for
    music), group = ``SOURCE/group``; ``meta`` holds language, package, licence, the source rate,
    the measured bandwidth in Hz and the RMS level in dBFS.

    Raises
    ------
    DataSourceError
        A package of the chosen sources is not installed (the message names it and the command).
    """
    chosen = _chosen(content, sources)
    listed = {s.name: s.files() for s in chosen}  # one walk of each package's folders
    missing = sorted({s.package for s in chosen if not listed[s.name]})
    if missing:
        raise DataSourceError(
            f"the recorded {content} corpus needs the Debian package(s) {', '.join(missing)}; install them with "
            f"'make install' (scripts/install-system-deps.sh) or 'sudo apt-get install {' '.join(missing)}'")
    out_dir = Path(out_dir or cache_dir() / "corpus" / "recorded")
    tasks, where = [], []
    for s in chosen:
        per_group: dict = {}
        for f in listed[s.name]:
            g = str(s.group(f))
            if max_files_per_group is not None and per_group.get(g, 0) >= max_files_per_group:
                continue
            if max_groups_per_source is not None and g not in per_group and len(per_group) >= max_groups_per_source:
                continue
            per_group[g] = per_group.get(g, 0) + 1
            rel = f.relative_to(Path(s.root))
            dest = out_dir / s.name / (str(rel).replace("/", "__").rsplit(".", 1)[0] + ".flac")
            comps = tuple(str(f.parent / c) for c in s.companions if (f.parent / c).is_file())
            tasks.append((str(f), comps, str(dest), content))
            where.append((s, f, g))
    jobs = max(1, jobs or os.cpu_count() or 1)
    bar = dict(desc=f"recorded {content}", unit="file", total=len(tasks), disable=not progress)
    if jobs == 1:
        results = [_decode(t) for t in tqdm(tasks, **bar)]
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(jobs) as pool:
            results = list(tqdm(pool.map(_decode, tasks, chunksize=16), **bar))
    clips = []
    for (s, f, g), (_, _, dest, _), facts in zip(where, tasks, results):
        if "skip" in facts:
            continue
        lang = s.language(f) if s.language else None
        clips.append(Clip(dest, f"{s.name}/{g}", s.split_of(g), s.name, facts["duration_s"],
                          {**facts, "language": lang, "package": s.package, "licence": s.licence,
                           "source_file": str(f)}))
    slice_name = "".join(f"[{n}/{what}]" for n, what in ((max_files_per_group, "group"),
                                                           (max_groups_per_source, "source")) if n)
    return Corpus(f"recorded-{content}{slice_name}", clips)


def gate(clips, sr_hz: int, fraction: float = GATE_FRACTION) -> list:
    """The clips whose measured bandwidth reaches ``fraction`` of ``sr_hz / 2`` Hz (clips not measured pass).

    Parameters
    ----------
    clips : iterable of Clip
    sr_hz : int
        The target (high) rate in Hz that the clips would teach.
    fraction : float
        Share of the Nyquist frequency the content must reach (:data:`GATE_FRACTION`).

    Examples
    --------
    >>> a = Clip("a.flac", "g", "train", meta={"bandwidth_hz": 7800.0})
    >>> b = Clip("b.flac", "g", "train", meta={"bandwidth_hz": 3900.0})  # an 8 kHz recording
    >>> [c.path for c in gate([a, b], 16000)]
    ['a.flac']
    """
    if not 0 < fraction <= 1:
        raise ConfigError(f"fraction: got {fraction}; expected a share of the Nyquist frequency in (0, 1]")
    floor_hz = fraction * sr_hz / 2
    return [c for c in clips if c.meta.get("bandwidth_hz", np.inf) >= floor_hz]


def source_table(corpus: Corpus, sr_hz: int | None = None) -> str:
    """Markdown table of a corpus' sources: package, licence, role, clips, hours, groups, bandwidth, gate.

    ``sr_hz`` adds how many hours pass :func:`gate` for that target rate.
    """
    head = "| source | package | role | clips | hours | groups | languages | bandwidth p10 / p50 / p90 (kHz) |"
    rule = "|---|---|---|---:|---:|---:|---:|---|"
    if sr_hz:
        head += f" hours passing the {sr_hz / 1000:g} kHz gate |"
        rule += "---:|"
    rows = [head, rule]
    for name in dict.fromkeys(c.source for c in corpus.clips):
        sel = [c for c in corpus.clips if c.source == name]
        bws = np.array([c.meta.get("bandwidth_hz", np.nan) for c in sel]) / 1000
        p = np.nanpercentile(bws, [10, 50, 90]) if np.isfinite(bws).any() else [np.nan] * 3
        langs = {c.meta.get("language") for c in sel} - {None}
        s = SOURCES.get(name)
        row = (f"| {name} | {s.package if s else '?'} | {s.role if s else '?'} | {len(sel)} | "
               f"{sum(c.duration_s for c in sel) / 3600:.2f} | {len({c.group for c in sel})} | {len(langs) or '-'} | "
               f"{p[0]:.1f} / {p[1]:.1f} / {p[2]:.1f} |")
        if sr_hz:
            row += f" {sum(c.duration_s for c in gate(sel, sr_hz)) / 3600:.2f} |"
        rows.append(row)
    return "\n".join(rows)


def sources_overview() -> str:
    """Markdown table of every source in :data:`SOURCES`: content, role, package, installed or not, licence, what."""
    rows = ["| source | content | role | package | installed | licence | what |", "|---|---|---|---|---|---|---|"]
    for s in SOURCES.values():
        rows.append(f"| {s.name} | {s.content} | {s.role} | {s.package} | {'yes' if s.installed() else 'no'} | "
                    f"{s.licence} | {s.description} |")
    return "\n".join(rows)

