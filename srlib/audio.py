"""Audio input/output and validation.

Shapes follow librosa: a signal is a float32 array of shape ``(n_samples,)``
(mono) or ``(n_channels, n_samples)`` (multichannel). Sample rates are integers
in Hz (``sr_hz``).

Reading goes through `soundfile` (libsndfile: wav, flac, ogg/vorbis/opus, mp3 where
the bundled libsndfile supports it; M4A/AAC, MP4, WebM and the other containers of
:data:`CONTAINER_SUFFIXES` are first decoded through PyAV, ``srlib[formats]``, see :func:`decoded`) and resampling through `soxr` (very high
quality preset). Writing is atomic: the signal is written to a temporary file
in the destination folder, then renamed over the destination, so an
interrupted write never leaves a half-written file behind, and an existing file
is only replaced when the caller says ``overwrite=True``.

The notebook ``01_sampling_and_aliasing`` shows these functions in use.
"""

from __future__ import annotations

import glob
import math
import os
import struct
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from .errors import AudioError

__all__ = ["load", "save", "resample", "validate_audio", "validate_ratio", "resolve_ratio", "info", "atomic_output", "stale_parts",
           "output_format", "check_destination", "AUDIO_SUFFIXES", "CONTAINER_SUFFIXES", "decoded", "find_audio_files", "declared_wav_frames", "TruncatedAudioWarning", "fix_length"]


def validate_audio(
    x,
    *,
    name: str = "x",
    min_samples: int = 1,
    allow_silence: bool = True,
) -> np.ndarray:
    """Check that ``x`` is a usable audio signal and return it as float32.

    Parameters
    ----------
    x : array_like, shape (n_samples,) or (n_channels, n_samples)
        The signal, in linear amplitude (full scale is 1.0).
    name : str
        What to call the signal in error messages (a file name, say).
    min_samples : int
        Fewest samples per channel accepted.
    allow_silence : bool
        If False, an all-zero signal is rejected.

    Returns
    -------
    numpy.ndarray, float32, same shape as ``x``

    Raises
    ------
    AudioError
        Not 1-D or 2-D, empty, shorter than ``min_samples``, NaN/inf samples,
        or silent when ``allow_silence`` is False.

    Examples
    --------
    >>> validate_audio([0.0, 0.5, -0.5]).dtype
    dtype('float32')
    >>> validate_audio([0.0, float("nan")])
    Traceback (most recent call last):
    ...
    srlib.errors.AudioError: x: 1 NaN/inf sample(s) found (first at index 1); audio must be finite
    """
    try:
        arr = np.asarray(x, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise AudioError(f"{name}: cannot be read as a float array ({exc})") from None
    if arr.ndim not in (1, 2):
        raise AudioError(
            f"{name}: expected shape (n_samples,) or (n_channels, n_samples), got {arr.shape}"
        )
    n_samples = arr.shape[-1]
    if arr.size == 0 or n_samples == 0:
        raise AudioError(f"{name}: empty signal (shape {arr.shape}); expected audio samples")
    if n_samples < min_samples:
        raise AudioError(
            f"{name}: {n_samples} samples is too short; at least {min_samples} are needed"
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        first = int(np.flatnonzero(bad.reshape(-1))[0]) % n_samples
        raise AudioError(
            f"{name}: {int(bad.sum())} NaN/inf sample(s) found (first at index {first}); "
            "audio must be finite"
        )
    if not allow_silence and not np.any(arr):
        raise AudioError(f"{name}: the signal is silent (all zeros); expected sound")
    return arr


def validate_ratio(ratio, *, name: str = "ratio", max_ratio: int = 16) -> int:
    """Check an up-sampling ratio: an integer from 2 to ``max_ratio``.

    Examples
    --------
    >>> validate_ratio(4.0)
    4
    >>> validate_ratio(2.5)
    Traceback (most recent call last):
    ...
    srlib.errors.AudioError: ratio: got 2.5; expected an integer from 2 to 16
    """
    try:
        r = float(ratio)
    except (TypeError, ValueError):
        raise AudioError(f"{name}: got {ratio!r}; expected an integer from 2 to {max_ratio}") from None
    if not r.is_integer() or not 2 <= r <= max_ratio:
        raise AudioError(f"{name}: got {ratio!r}; expected an integer from 2 to {max_ratio}")
    return int(r)


def resolve_ratio(sr_hz: int, ratio=None, target_sr_hz=None) -> tuple[int, int]:
    """Work out ``(ratio, target_sr_hz)`` from whichever of the two was given.

    Exactly one of ``ratio`` and ``target_sr_hz`` must be given. A target that
    is not an integer multiple of ``sr_hz`` uses the next integer ratio above
    and a final soxr resampling step down to the target.

    Examples
    --------
    >>> resolve_ratio(8000, ratio=2)
    (2, 16000)
    >>> resolve_ratio(11025, target_sr_hz=44100)
    (4, 44100)
    >>> resolve_ratio(16000, target_sr_hz=44100)
    (3, 44100)
    """
    sr_hz = _validate_rate(sr_hz)
    if (ratio is None) == (target_sr_hz is None):
        raise AudioError("give exactly one of ratio and target_sr_hz")
    if ratio is not None:
        r = validate_ratio(ratio)
        return r, sr_hz * r
    target = _validate_rate(target_sr_hz, "target_sr_hz")
    if target <= sr_hz:
        raise AudioError(f"target_sr_hz: got {target} Hz; expected more than the input's {sr_hz} Hz")
    return validate_ratio(math.ceil(target / sr_hz), name="target_sr_hz / sr_hz"), target


def _validate_rate(sr_hz, name: str = "sr_hz") -> int:
    try:
        rate = float(sr_hz)
    except (TypeError, ValueError):
        raise AudioError(f"{name}: got {sr_hz!r}; expected a positive integer in Hz") from None
    if not rate.is_integer() or not 1000 <= rate <= 768_000:
        raise AudioError(f"{name}: got {sr_hz!r}; expected an integer from 1000 to 768000 Hz")
    return int(rate)


def resample(x, sr_in_hz: int, sr_out_hz: int) -> np.ndarray:
    """Resample with soxr (very high quality, linear phase).

    Parameters
    ----------
    x : float array, shape (n_samples,) or (n_channels, n_samples)
    sr_in_hz, sr_out_hz : int
        Input and output rates in Hz.

    Returns
    -------
    float32 array, shape (round(n_samples * sr_out_hz / sr_in_hz),) or with channels first.

    Examples
    --------
    >>> resample(np.zeros(16000), 16000, 8000).shape
    (8000,)
    """
    x = validate_audio(x)
    sr_in_hz, sr_out_hz = _validate_rate(sr_in_hz, "sr_in_hz"), _validate_rate(sr_out_hz, "sr_out_hz")
    if sr_in_hz == sr_out_hz:
        return x.copy()
    # soxr wants (frames, channels)
    y = soxr.resample(x.T, sr_in_hz, sr_out_hz, quality="VHQ")
    return np.ascontiguousarray(y.T, dtype=np.float32)


def _check_readable_path(path: Path) -> None:
    if not path.exists():
        raise AudioError(f"{path}: no such file")
    if path.is_dir():
        raise AudioError(f"{path}: is a directory; expected an audio file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: the file is empty (0 bytes); expected audio")


class TruncatedAudioWarning(UserWarning):
    """A WAV file holds fewer frames than its header promises (a cut-off copy or download), or a container
    decodes short of its declared duration or with damaged packets skipped (:func:`decoded`)."""


def fix_length(x, size: int) -> np.ndarray:
    """``x`` (..., n) trimmed or zero-padded at the end to (..., size) samples.

    (What ``librosa.util.fix_length`` does, without importing librosa, whose import costs about a
    second: the command line's start-up.)

    >>> fix_length(np.ones(3), 5), fix_length(np.ones((2, 4)), 2).shape
    (array([1., 1., 1., 0., 0.]), (2, 2))
    """
    x = np.asarray(x)
    n = x.shape[-1]
    if n >= size:
        return x[..., :size]
    return np.pad(x, [(0, 0)] * (x.ndim - 1) + [(0, size - n)])


def declared_wav_frames(path) -> int | None:
    """Frames a RIFF/WAVE file's header promises (its ``data`` chunk size over the block size), or None.

    None where the file is not RIFF/WAVE, the header is unreadable, or the size is a streaming
    writer's placeholder (0 or 0xFFFFFFFF).
    """
    try:
        with open(path, "rb") as f:
            if f.read(4) != b"RIFF" or not f.read(4) or f.read(4) != b"WAVE":
                return None
            block = None
            while True:
                head = f.read(8)
                if len(head) < 8:
                    return None
                tag, size = head[:4], struct.unpack("<I", head[4:])[0]
                if tag == b"fmt ":
                    fmt = f.read(size)
                    if len(fmt) < 14:
                        return None
                    block = struct.unpack("<H", fmt[12:14])[0]
                    f.seek(size % 2, 1)
                elif tag == b"data":
                    if not block or size in (0, 0xFFFFFFFF):
                        return None
                    return size // block
                else:
                    f.seek(size + size % 2, 1)
    except OSError:
        return None


def info(path) -> sf._SoundFileInfo:
    """Header information of an audio file (rate, channels, frames, subtype).

    Raises :class:`AudioError` where the file is missing, empty or unreadable. A WAV file
    whose header promises more frames than it holds (:func:`declared_wav_frames`) is read for
    what it has, with a :class:`TruncatedAudioWarning` that names it and both frame counts.
    """
    path = Path(path)
    _check_readable_path(path)
    if path.suffix.lower() in CONTAINER_SUFFIXES:  # decoded whole to know its length: callers that go on to
        with decoded(path) as wav:                   # read it hold :func:`decoded`'s file instead
            return sf.info(str(wav))
    try:
        meta = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise AudioError(f"{path}: not a readable audio file ({exc})") from None
    _warn_if_truncated(path, meta.frames)
    return meta


@contextmanager
def decoded(path):
    """A path libsndfile reads for ``path``: ``path`` itself, or for a container (:data:`CONTAINER_SUFFIXES`:
    M4A/AAC, MP4, WebM, ...) a temporary float WAV (RF64, no size limit) of its first audio stream at its
    own rate and channels, decoded through PyAV (FFmpeg's libraries in a wheel, ``srlib[formats]``) and
    removed when the block ends.

    Raises
    ------
    AudioError
        A container that PyAV cannot read (corrupt, truncated before its index, no audio stream, no
        audio frames), or PyAV missing: then one line names the extra and the ffmpeg command that converts.
    """
    path = Path(path)
    if path.suffix.lower() not in CONTAINER_SUFFIXES:
        yield path
        return
    _check_readable_path(path)
    with tempfile.TemporaryDirectory(prefix="srlib-decoded-") as folder:
        wav = Path(folder) / f"{path.name}.wav"
        _decode_container(path, wav)
        yield wav


def _decode_container(path: Path, wav: Path) -> None:
    """Decode ``path``'s first audio stream into the float RF64 file ``wav`` (:func:`decoded`), packet by packet.

    A packet the decoder rejects (a damaged or cut-off file) is skipped, and the file then warns as a
    truncated WAV does (:class:`TruncatedAudioWarning`), as does one that ends well short of the
    duration its header declares: what decodes is processed.
    """
    try:
        import av
    except ModuleNotFoundError:
        raise AudioError(f'{path}: reading {path.suffix} files needs PyAV, which a plain install of srlib leaves out: '
                         f'pip install "srlib[formats]" (or convert it: ffmpeg -i {path.name} {path.stem}.flac)') from None
    frames = skipped = 0
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioError(f"{path}: no audio stream in the file")
            stream = container.streams.audio[0]
            rate, channels = stream.codec_context.sample_rate, stream.codec_context.layout.nb_channels
            if not rate or not channels:
                raise AudioError(f"{path}: its audio stream declares no rate or channels")
            declared_s = container.duration / av.time_base if container.duration else None
            to_float = av.AudioResampler(format="flt", layout=stream.codec_context.layout, rate=rate)  # interleaved
            with sf.SoundFile(str(wav), "w", samplerate=rate, channels=channels, format="RF64",
                              subtype="FLOAT") as dst:
                for packet in container.demux(stream):  # the last packet (empty) flushes the decoder
                    try:
                        decoded_frames = packet.decode()
                    except av.InvalidDataError:
                        skipped += 1
                        continue
                    for frame in decoded_frames:
                        for piece in to_float.resample(frame):
                            frames += _write_interleaved(dst, piece, channels)
                for piece in to_float.resample(None):  # the resampler's last samples
                    frames += _write_interleaved(dst, piece, channels)
    except av.FFmpegError as exc:
        raise AudioError(f"{path}: not a readable audio file ({exc})") from None
    except (sf.LibsndfileError, OSError) as exc:  # the temporary decode could not be written (a full disk)
        raise AudioError(f"{path}: could not decode it to a temporary file ({exc})") from None
    if frames == 0:
        raise AudioError(f"{path}: the file has a header but no audio frames")
    short = declared_s is not None and frames / rate < declared_s - 0.5
    if skipped or short:
        warnings.warn(f"{path}: truncated or damaged: {frames / rate:.2f} s decoded"
                      f"{f' of the {declared_s:.2f} s its header declares' if declared_s else ''}"
                      f"{f', {skipped} undecodable packets skipped' if skipped else ''}; processing what it holds",
                      TruncatedAudioWarning, stacklevel=4)


def _write_interleaved(dst, piece, channels: int) -> int:
    """Write one interleaved float frame of PyAV's to ``dst``; returns its length in samples per channel."""
    block = piece.to_ndarray().reshape(-1, channels)
    dst.write(block)
    return len(block)


def _warn_if_truncated(path, frames: int) -> None:
    declared = declared_wav_frames(path)
    if declared is not None and declared > frames:
        warnings.warn(f"{path}: truncated: its header promises {declared} frames but the file holds {frames}; "
                      "processing what it holds", TruncatedAudioWarning, stacklevel=3)


def load(path, sr_hz: int | None = None, mono: bool = True) -> tuple[np.ndarray, int]:
    """Read an audio file into float32, optionally mixed to mono and resampled.

    Parameters
    ----------
    path : str or Path
        wav, flac, ogg, mp3 (whatever the installed libsndfile reads); m4a, webm and the other
        containers through PyAV (:func:`decoded`).
    sr_hz : int, optional
        Resample to this rate (Hz) with soxr. ``None`` keeps the file's rate.
    mono : bool
        Average the channels into one. If False, the result has shape
        (n_channels, n_samples) for multichannel files and (n_samples,) for mono ones.

    Returns
    -------
    x : float32 array, shape (n_samples,) or (n_channels, n_samples)
        Samples in [-1, 1] for integer files (floats files are returned as stored).
    sr_hz : int
        The rate of ``x`` in Hz.

    Raises
    ------
    AudioError
        Missing file, a directory, an empty or header-only file, corrupt data,
        or NaN/inf samples. A WAV file cut short of its header's length only warns
        (:class:`TruncatedAudioWarning`).
    """
    path = Path(path)
    _check_readable_path(path)
    try:
        with decoded(path) as readable:
            data, file_sr = sf.read(str(readable), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise AudioError(f"{path}: not a readable audio file ({exc})") from None
    if data.shape[0] == 0:
        raise AudioError(f"{path}: the file has a header but no audio frames")
    _warn_if_truncated(path, data.shape[0])
    x = data.T  # (n_channels, n_samples)
    if mono or x.shape[0] == 1:
        x = x.mean(axis=0)
    x = validate_audio(np.ascontiguousarray(x), name=str(path))
    if sr_hz is not None and int(sr_hz) != file_sr:
        x = resample(x, file_sr, sr_hz)
        file_sr = int(sr_hz)
    return x, int(file_sr)


_FORMATS = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".mp3": "MP3", ".aiff": "AIFF", ".aif": "AIFF"}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: File name endings that srlib reads as audio when it walks a folder.
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".opus", ".mp3", ".aif", ".aiff")
#: Formats people have that libsndfile cannot read (AAC and the containers around it, WebM, WMA, AMR): read through
#: PyAV (:func:`decoded`, ``srlib[formats]``); a folder run writes each one's output as FLAC (``a.m4a.flac``).
CONTAINER_SUFFIXES = (".m4a", ".aac", ".mp4", ".webm", ".wma", ".amr", ".3gp", ".mka")


def find_audio_files(folder) -> list:
    """Every file under ``folder`` (recursively) whose ending is in :data:`AUDIO_SUFFIXES` or
    :data:`CONTAINER_SUFFIXES`, sorted."""
    suffixes = (*AUDIO_SUFFIXES, *CONTAINER_SUFFIXES)
    return sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in suffixes and p.is_file())


def _part_prefix(path: Path) -> str:
    """The name :func:`atomic_output`'s temporary files for ``path`` start with (``.NAME.``; then random, ``.part``)."""
    return f".{path.name}."


def stale_parts(path) -> list:
    """The temporary files :func:`atomic_output` left beside ``path`` (a writer killed before its rename).

    Only files named as it names them: ``.NAME.<8 random characters>.part`` in ``path``'s folder.
    Returns their paths, sorted; removing them is the caller's choice (a folder run does, at its end,
    once every writer of that run has finished).
    """
    path = Path(path)
    prefix = _part_prefix(path)
    folder = path.parent if str(path.parent) else Path(".")
    return sorted(p for p in folder.glob(f"{glob.escape(prefix)}*.part")
                  if len(p.name) == len(prefix) + 8 + len(".part") and p.is_file())


@contextmanager
def atomic_output(path, *, overwrite: bool = False):
    """Context manager for writing ``path`` atomically: yields a temporary path beside it.

    On success the temporary file replaces ``path`` (one ``os.replace``); on
    any error it is deleted and ``path`` is left as it was. An existing
    ``path`` is refused unless ``overwrite``.

    Raises
    ------
    AudioError
        The file exists, the folder does not exist or is not writable, or ``path`` is a folder.
    """
    path = Path(path)
    check_destination(path, overwrite=overwrite)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=_part_prefix(path), suffix=".part", dir=folder)
    except OSError as exc:
        raise AudioError(f"{path}: cannot write in {folder} ({exc.strerror})") from None
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        yield tmp
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, (sf.LibsndfileError, RuntimeError, TypeError)) and not isinstance(exc, AudioError):
            # libsndfile says only "System error." when the disk fills up or the file size limit is hit
            hint = "; is the disk full?" if "System error" in str(exc) else ""
            raise AudioError(f"{path}: could not write audio ({exc}{hint}); nothing was written") from None
        raise


def check_destination(path, *, overwrite: bool = False) -> None:
    """Refuse an output path that :func:`atomic_output` could not honestly write, before any work is done.

    Raises
    ------
    AudioError
        ``path`` is a folder or a special file (a device such as ``/dev/full``, a pipe, a
        socket: replacing it would replace the device node, not write to it), exists while
        ``overwrite`` is false, or its folder does not exist.
    """
    path = Path(path)
    if path.is_dir():
        raise AudioError(f"{path}: is a directory; expected a file name")
    if path.exists() and not path.is_file():
        raise AudioError(f"{path}: is not a regular file (a device, pipe or socket); srlib writes files, "
                         "atomically beside their destination: give a file name")
    if path.exists() and not overwrite:
        raise AudioError(f"{path}: already exists; pass overwrite=True (CLI: --overwrite) to replace it")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise AudioError(f"{path}: output folder {folder} does not exist")


def output_format(path) -> str:
    """libsndfile format name for a file name's suffix (``.wav`` -> ``"WAV"``)."""
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise AudioError(f"{path}: unknown output format {path.suffix!r}; use one of {sorted(_FORMATS)}")
    return fmt


def fit_to_subtype(x: np.ndarray, subtype: str | None) -> np.ndarray:
    """Clip to [-1, 1] unless ``subtype`` is a float format: integer formats would wrap around."""
    return x if subtype in ("FLOAT", "DOUBLE") else np.clip(x, -1.0, 1.0)


def save(path, x, sr_hz: int, *, overwrite: bool = False, subtype: str | None = None) -> Path:
    """Write audio atomically; refuse to replace an existing file unless asked.

    Parameters
    ----------
    path : str or Path
        Destination; its suffix picks the format (.wav, .flac, .ogg, .mp3, .aiff).
    x : float array, shape (n_samples,) or (n_channels, n_samples)
    sr_hz : int
        Sample rate in Hz.
    overwrite : bool
        Replace ``path`` if it exists. Default False: an existing file is an error.
    subtype : str, optional
        soundfile subtype such as ``"PCM_16"`` or ``"FLOAT"``; default is the
        format's default (16-bit PCM for wav/flac). Integer subtypes are clipped
        to [-1, 1] first (libsndfile would wrap around).

    Returns
    -------
    Path of the written file.

    Raises
    ------
    AudioError
        The file exists and ``overwrite`` is False, the folder does not exist
        or is not writable, the suffix is unknown, or ``x`` is not valid audio.
    """
    path = Path(path)
    x = validate_audio(x, name=f"signal for {path}")
    sr_hz = _validate_rate(sr_hz)
    fmt = output_format(path)
    x = fit_to_subtype(x, subtype)
    with atomic_output(path, overwrite=overwrite) as tmp:
        sf.write(tmp, x.T, sr_hz, format=fmt, subtype=subtype)
    return path
