"""Print how well ``srlib upsample`` restores files at their own rate, against the originals they came from.

Held-out recordings (never trained on) are band-limited as people's files are: speech as 8 kHz
telephone audio stored at 16 kHz and as 24 kbit/s MP3 at 16 kHz, music as MP3 at 44.1 kHz from
libsndfile's LAME at 48, 64 and 96 kbit/s. Each file is restored exactly as ``srlib upsample
in out`` does (its cutoff detected), and scored against the original beside the untouched file:
LSD above the cutoff as a share of the untouched file's, SNR against it in dB, and DNSMOS P.808 of
original / untouched / restored for speech. Run: ``python tools/restoration.py`` (a few minutes on
two cores; needs ``srlib[perceptual]`` and the recorded corpora, which ``make`` builds).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from srlib.api import upsample_file_used
from srlib.audio import resample
from srlib.data import open_corpus
from srlib.errors import AudioError
from srlib.metrics import dnsmos, evaluate_pair
from srlib.spectral import file_cutoff_hz


def restored_row(label: str, original, src: Path, sr_hz: int, folder: Path) -> list:
    """One table row: ``src`` (a band-limited copy of ``original``, mono, at ``sr_hz``) restored and scored."""
    untouched = sf.read(src, dtype="float32", always_2d=True)[0].mean(axis=1)
    cutoff = file_cutoff_hz(src)
    try:
        _, used = upsample_file_used(src, folder / "out.wav", overwrite=True)
    except AudioError as exc:
        return [label, "none" if cutoff is None else f"{cutoff / 1000:.2f}", f"refused: {str(exc).split(': ', 1)[1]}",
                "", "", ""]
    restored = sf.read(folder / "out.wav", dtype="float32", always_2d=True)[0].mean(axis=1)
    n = min(len(original), len(untouched), len(restored))
    ratio = sr_hz / (2 * cutoff)
    before, after = (evaluate_pair(original[:n], y[:n], sr_hz, ratio) for y in (untouched, restored))
    heard = "" if sr_hz != 16000 else " / ".join(f"{dnsmos(y[:n])['dnsmos']:.2f}"
                                                  for y in (original, untouched, restored))
    return [label, f"{cutoff / 1000:.2f}", used, f"{after['lsd_hf'] / before['lsd_hf']:.2f}",
            f"{after['snr_db'] - before['snr_db']:+.2f}", heard]


def table_rows(folder: Path) -> list:
    """The table's rows, each file written into ``folder`` on the way."""
    mp3 = dict(format="MP3", subtype="MPEG_LAYER_III", bitrate_mode="CONSTANT")
    rows = []
    speech = open_corpus("recorded-speech")
    for source in ("hedgewars-voices", "ktuberling"):
        x = np.concatenate([speech.load(c, 16000) for c in speech.split("test") if c.source == source][:60])
        sf.write(folder / "call.wav", resample(resample(x, 16000, 8000), 8000, 16000), 16000)
        rows.append(restored_row(f"{source}: 8 kHz telephone, stored at 16 kHz", x, folder / "call.wav", 16000,
                                 folder))
        sf.write(folder / "voice.mp3", x, 16000, compression_level=0.9, **mp3)
        rows.append(restored_row(f"{source}: MP3 at 16 kHz, 24 kbit/s", x, folder / "voice.mp3", 16000, folder))
    music = open_corpus("recorded-music")
    for i, clip in enumerate(music.split("test")):
        x = music.load(clip, 44100)[: 30 * 44100]
        for level, kbps in ((0.95, 48), (0.88, 64), (0.75, 96)):
            sf.write(folder / "song.mp3", x, 44100, compression_level=level, **mp3)
            rows.append(restored_row(f"{clip.source} {i}: MP3 at 44.1 kHz, {kbps} kbit/s", x, folder / "song.mp3",
                                     44100, folder))
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="srlib-restoration-") as folder:
        rows = table_rows(Path(folder))
    print("| recording | cutoff (kHz) | method | LSD above cutoff / untouched's | SNR vs untouched (dB) "
          "| DNSMOS original / untouched / restored |")
    print("|---|---:|---|---:|---:|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
