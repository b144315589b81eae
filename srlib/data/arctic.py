"""One CMU ARCTIC sentence from a package registry: the example inside ``pysptk``'s source package.

The embedded speech corpus (Debian ``klettres-data``) holds letters and
syllables; this adds one real, read English *sentence*: ``arctic_a0007.wav``
(CMU ARCTIC, 16 kHz, 16-bit, 4.0 s), which the ``pysptk`` project ships as
example data in its source distribution on PyPI. pysptk itself is not
installed (it needs a C compiler): ``pip download`` fetches the source archive
from the registry, the one file is read out of it, checked against its SHA-256
and cached. It is for listening and demonstrations, not for training or the
test split (one speaker, one sentence).

Licences: CMU ARCTIC is distributed by Carnegie Mellon University's Language
Technologies Institute under a permissive, BSD-style licence (use and
redistribution with the copyright notice); pysptk is MIT. See ``DATA.md``.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from ..audio import atomic_output, load
from ..errors import AudioError, DataSourceError
from .embedded import cache_dir

__all__ = ["arctic_sentence_path", "arctic_sentence", "PYSPTK_SDIST", "ARCTIC_MEMBER", "ARCTIC_SHA256"]

PYSPTK_SDIST = "pysptk==1.0.1"
ARCTIC_MEMBER = "pysptk-1.0.1/pysptk/example_audio_data/arctic_a0007.wav"
ARCTIC_SHA256 = "1b850392f8c87ee2efe5a686523f1bab61d2a38d59bc43d1127e17e406f9e57d"


def _download_sdist(dest: Path) -> Path:
    """``pip download`` the pysptk source archive (no build, no dependencies) into ``dest``."""
    cmd = [sys.executable, "-m", "pip", "download", PYSPTK_SDIST, "--no-deps",
           "-q", "-d", str(dest)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    archives = sorted(dest.glob("pysptk-*.tar.gz"))
    if res.returncode != 0 or not archives:
        raise DataSourceError(f"could not fetch {PYSPTK_SDIST} from the package index (pip said: "
                              f"{(res.stderr or res.stdout).strip()[-300:]}); the ARCTIC sentence comes from its source archive")
    return archives[0]


def arctic_sentence_path(out_dir=None, *, fetch=_download_sdist) -> Path:
    """Path of the cached ``arctic_a0007.wav``, fetched from PyPI on first use.

    Raises :class:`DataSourceError` when the archive cannot be fetched, :class:`AudioError` when it lacks the
    file, or the file's SHA-256 differs from :data:`ARCTIC_SHA256`.
    """
    out_dir = Path(out_dir or cache_dir() / "corpus" / "arctic")
    dest = out_dir / "arctic_a0007.wav"
    if dest.exists() and hashlib.sha256(dest.read_bytes()).hexdigest() == ARCTIC_SHA256:
        return dest
    with tempfile.TemporaryDirectory() as tmp:
        archive = fetch(Path(tmp))
        try:
            with tarfile.open(archive) as tar:
                data = tar.extractfile(ARCTIC_MEMBER).read()
        except (KeyError, AttributeError, tarfile.TarError) as exc:
            raise AudioError(f"{archive.name}: no {ARCTIC_MEMBER} inside ({exc})") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != ARCTIC_SHA256:
        raise AudioError(f"arctic_a0007.wav: SHA-256 {digest} differs from the expected {ARCTIC_SHA256}")
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_output(dest, overwrite=True) as tmp_dest:
        Path(tmp_dest).write_bytes(data)
    return dest


def arctic_sentence(sr_hz: int = 16000, **kw) -> np.ndarray:
    """The sentence as float32, shape (n_samples,), at ``sr_hz`` (recorded at 16 kHz: 4.0 s)."""
    x, _ = load(arctic_sentence_path(**kw), sr_hz=sr_hz)
    return x
