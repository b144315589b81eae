"""The three-line Python API: array in, array out; file in, file out.

>>> import numpy as np, srlib
>>> x = np.sin(2 * np.pi * 440 * np.arange(8000) / 8000).astype("float32")
>>> y, sr_out_hz = srlib.upsample(x, sr_hz=8000, ratio=2, method="spline")
>>> y.shape, sr_out_hz
((16000,), 16000)
"""

from __future__ import annotations

import math
import re
import signal
import sys
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm.auto import tqdm

from .audio import (
    AUDIO_SUFFIXES,
    CONTAINER_SUFFIXES,
    atomic_output,
    check_destination,
    decoded,
    find_audio_files,
    fit_to_subtype,
    fix_length,
    info,
    output_format,
    resample,
    resolve_ratio,
    stale_parts,
    validate_audio,
)
from .errors import AudioError, ConfigError
from .methods import get_method
from .models.card import ModelCard, shipped_models
from .models.registry import DEFAULT_KINDS, get_kind
from .spectral import file_cutoff_hz, keep_recorded_band

__all__ = ["upsample", "upsample_band", "upsample_file", "upsample_file_used", "upsample_folder", "resolve_ratio",
           "auto_method", "method_text"]


def auto_method(sr_hz: int, target_sr_hz: int, content: str | None = None) -> str:
    """The default method for ``sr_hz`` Hz input and ``target_sr_hz`` Hz output.

    Among the shipped models of the kinds in :data:`srlib.models.registry.DEFAULT_KINDS`
    trained on ``content`` (``"speech"`` or ``"music"``; default: speech for outputs up to
    24 kHz, music above) that serve the rates (:meth:`srlib.models.card.ModelCard.serves`),
    the first kind's model, a calibrated one first (its band gains chosen by `srlib calibrate` on
    validation clips, :attr:`~srlib.models.card.ModelCard.calibrated`), then the one whose band
    starts nearest above where the input's ends (:meth:`~srlib.models.card.ModelCard.model_rate`),
    a one-rate model before a versatile one where they tie; where none serves, ``"sinc"``. Reads
    the shipped models' cards only: no network is loaded (and no Keras imported) to decide.

    Returns
    -------
    str: a kind's name where its own shipped model is chosen (``"frame"``), else a folder name.
    """
    if content not in (None, "speech", "music"):
        raise ConfigError(f"content: got {content!r}; expected speech or music")
    content = content or ("speech" if target_sr_hz <= 24000 else "music")
    cards = [ModelCard.read(path) for path in shipped_models().values()]
    fits = [c for c in cards if c.kind in DEFAULT_KINDS and c.content == content and c.serves(sr_hz, target_sr_hz)]
    if not fits:
        return "sinc"
    best = min(fits, key=lambda c: (DEFAULT_KINDS.index(c.kind), not c.calibrated, c.model_rate(sr_hz) - sr_hz,
                                    c.input_rates_hz is not None, c.low_sr_hz))
    return best.kind if get_kind(best.kind).shipped == best.name else best.name


def method_text(method: str, target_sr_hz: int) -> str:
    """How ``srlib upsample`` names the method it used: the method, and a model's output rate where
    that is not ``target_sr_hz`` (its output is resampled to it, :func:`upsample`).

    >>> method_text("sinc", 16000)
    'sinc'
    """
    return get_method(method).label(target_sr_hz)


def upsample(x, sr_hz: int, ratio=None, *, target_sr_hz=None, method: str | None = None, content: str | None = None,
             progress: bool = False):
    """Super-resolve ``x`` by ``ratio`` (or to ``target_sr_hz``).

    Parameters
    ----------
    x : float array, shape (n_samples,) or (n_channels, n_samples)
        Input at ``sr_hz``. Channels are processed one by one and kept.
    sr_hz : int
        Rate of ``x`` in Hz.
    ratio : int, optional
        Integer up-sampling factor.
    target_sr_hz : int, optional
        Output rate instead of ``ratio``.
    method : str, optional
        A baseline from :data:`srlib.interpolate.METHODS`, a shipped model by kind
        (``"frame"``, ``"unet"``, ``"gan"``) or folder name, or a model folder. Default:
        :func:`auto_method` for ``content``.
    content : {"speech", "music"}, optional
        What ``x`` holds, for the default method (default: speech up to 24 kHz output, music above).

    Returns
    -------
    y : float32 array, shape (..., n_out)
    sr_out_hz : int
    """
    x = validate_audio(x, name="x")
    _, target = resolve_ratio(sr_hz, ratio, target_sr_hz)
    return get_method(method or auto_method(sr_hz, target, content)).upsample(x, sr_hz, target, progress=progress), target


class SilentInputWarning(UserWarning):
    """The input is all zeros: it is processed, but there is nothing to super-resolve."""


#: ``cutoff="auto"`` on a file that is to be up-sampled extends from a detected band edge only below this
#: share of the file's Nyquist frequency (a resampler's own edge, at 0.9 and up, is not a missing band).
AUTO_CUTOFF_SHARE = 0.75
#: A file kept at its own rate (restoration) needs its band to stop below this share of its Nyquist frequency.
RESTORE_CUTOFF_SHARE = 0.9
#: Output samples a file's blocks start on a multiple of: a multiple of every model's STFT hop.
SEAM_ALIGN = 512


def input_band(path, sr_hz: int, cutoff="auto", *, restoring: bool = False, meta=None, name=None) -> tuple:
    """``(band_hz, words)``: the band of the file at ``path`` (``sr_hz`` Hz) that a method should extend, or
    ``(None, "")`` for the whole band up to its Nyquist frequency; ``words`` say where it came from.

    ``cutoff`` is ``"auto"`` (:func:`srlib.spectral.file_cutoff_hz`; used below :data:`AUTO_CUTOFF_SHARE` of
    Nyquist, or when ``restoring``), a frequency in Hz (the user's), or None (the whole band).
    ``restoring`` (output at the file's own rate) needs a band that stops below
    :data:`RESTORE_CUTOFF_SHARE` of Nyquist, else there is nothing to add: :class:`AudioError`.
    ``name``: what messages call the file (default ``path``; the original where ``path`` is its decode).
    """
    nyquist, name = sr_hz / 2, name or path
    if cutoff is None or cutoff == "none":
        if restoring:
            raise AudioError(f"{name}: the output rate is the input's {sr_hz} Hz and --cutoff none keeps its whole "
                             "band: nothing to add; give --cutoff auto or HZ, or a higher --target-sr")
        return None, ""
    if cutoff == "auto":
        band, words = file_cutoff_hz(path, meta=meta, name=name), "a detected"
    else:
        try:
            band, words = float(cutoff), "a given"
        except (TypeError, ValueError):
            raise ConfigError(f"cutoff: got {cutoff!r}; expected auto, none or a frequency in Hz") from None
        if not 500 <= band < nyquist:  # about this file (a folder run goes on to the next)
            raise AudioError(f"{name}: cutoff {cutoff} Hz is not between 500 Hz and its Nyquist {nyquist:g} Hz")
    if restoring and (band is None or band >= RESTORE_CUTOFF_SHARE * nyquist):
        reach = "its spectrum has no steep drop below" if band is None else f"its band reaches {band / 1000:.1f} kHz of"
        raise AudioError(f"{name}: nothing is missing: {reach} its {nyquist / 1000:g} kHz Nyquist frequency; "
                         "nothing written")
    if band is None or (cutoff == "auto" and not restoring and band >= AUTO_CUTOFF_SHARE * nyquist):
        return None, ""
    return band, f" from {words} {band / 1000:.1f} kHz cutoff"


def band_rate(sr_hz: int, band_hz: float | None) -> int:
    """What a file at ``sr_hz`` Hz holding ``band_hz`` Hz of band is, as a rate: twice its band, in whole 100 Hz
    (so a file's blocks align often), at most ``sr_hz``; ``sr_hz`` itself where the band is whole (None)."""
    return sr_hz if band_hz is None else min(sr_hz, 100 * math.ceil(2 * band_hz / 100))


def upsample_band(x, sr_hz: int, band_hz: float | None, target_sr_hz: int, method: str) -> np.ndarray:
    """What ``srlib upsample`` makes of audio ``x`` at ``sr_hz`` whose band stops at ``band_hz`` (None: at its
    Nyquist frequency): ``x`` read at the band's rate (:func:`band_rate`), up-sampled by ``method`` to
    ``target_sr_hz``, and where a band edge was found, the recorded band kept below it as it was
    (:func:`srlib.spectral.keep_recorded_band`): the method adds only the band above.

    Parameters
    ----------
    x : float array, shape (n_samples,) or (n_channels, n_samples)
    method : str
        A name :func:`srlib.methods.get_method` knows, that takes the band's rate.

    Returns
    -------
    float32 array, shape (..., round(n_samples * target_sr_hz / sr_hz)).
    """
    rate = band_rate(sr_hz, band_hz)
    n_out = round(x.shape[-1] * target_sr_hz / sr_hz)
    y, _ = upsample(x if rate == sr_hz else resample(x, sr_hz, rate), rate, target_sr_hz=target_sr_hz,
                    method=method)
    y = fix_length(y, n_out)
    if band_hz is None:
        return y
    recorded = x if sr_hz == target_sr_hz else fix_length(resample(x, sr_hz, target_sr_hz), n_out)
    return keep_recorded_band(recorded, y, target_sr_hz, band_hz)


def upsample_file(in_path, out_path, ratio=None, **kw) -> Path:
    """Read ``in_path``, super-resolve it, write ``out_path`` atomically, in bounded memory.

    Keywords ``target_sr_hz``, ``method``, ``content``, ``cutoff``, ``overwrite``, ``progress``, ``block_s`` and
    ``context_s``, as :func:`upsample_file_used` takes them; this returns only the written path.
    """
    return upsample_file_used(in_path, out_path, ratio, **kw)[0]


def upsample_file_used(in_path, out_path, ratio=None, *, target_sr_hz=None, method: str | None = None,
                       content: str | None = None, cutoff="auto", overwrite: bool = False, progress: bool = False,
                       block_s: float = 120.0, context_s: float = 1.0) -> tuple:
    """Read ``in_path``, super-resolve it, write ``out_path`` atomically, in bounded memory; say what did it.

    The file is processed in blocks of ``block_s`` seconds, each with
    ``context_s`` seconds of real neighbouring audio on both sides that is
    computed and dropped, so block seams are invisible (the spline's and the
    network's reach are far shorter than a second) and memory does not grow
    with the file's length. The output keeps the channel count and, for the
    same format, the sample subtype (16/24-bit PCM, float) of the input.

    Many files hold less band than their rate allows: an MP3 or a phone call stored at 44.1 or
    16 kHz. With ``cutoff`` (:func:`input_band`: ``"auto"`` by default, or Hz) the file is read as
    what it is, audio at twice its band, and extended from there; with neither ``ratio`` nor
    ``target_sr_hz`` (or a target equal to the input's rate) the output keeps the input's rate
    and only the missing band is added (restoration). An
    existing ``out_path`` is only replaced with ``overwrite=True``; the input
    is never replaced; a failure leaves no partial output.

    Returns
    -------
    (Path of the written file, the method used as :func:`method_text` words it): the file's
    header is read once, for the rates, the default method and the message alike.

    Raises
    ------
    AudioError
        Unreadable input, NaN/inf samples (with the second where they start),
        rates the method cannot serve, or an unwritable output. An all-zero
        input only warns (:class:`SilentInputWarning`).
    """
    in_path, out_path = Path(in_path), Path(out_path)
    if in_path.exists() and out_path.exists() and in_path.resolve() == out_path.resolve():
        raise AudioError(f"{out_path}: output is the input file; choose another output path")
    if out_path.is_dir():
        raise AudioError(f"{out_path}: is a directory; expected an output file name (or use --output-dir)")
    check_destination(out_path, overwrite=overwrite)
    output_format(out_path)
    with decoded(in_path) as readable:  # an M4A or WebM: a temporary WAV of it, read as any file
        return _upsample_readable(in_path, readable, out_path, ratio, target_sr_hz=target_sr_hz, method=method,
                                  content=content, cutoff=cutoff, overwrite=overwrite, progress=progress,
                                  block_s=block_s, context_s=context_s)


def _upsample_readable(in_path, readable, out_path, ratio, *, target_sr_hz, method, content, cutoff, overwrite,
                       progress, block_s, context_s) -> tuple:
    """:func:`upsample_file_used` of the file libsndfile reads at ``readable`` (``in_path`` itself, or its decode):
    ``in_path`` names it in messages."""
    meta = info(readable)
    if meta.frames == 0:
        raise AudioError(f"{in_path}: the file has a header but no audio frames")
    fmt = output_format(out_path)
    sr_in = int(meta.samplerate)
    restoring = (ratio is None and target_sr_hz is None) or target_sr_hz == sr_in
    target = sr_in if restoring else resolve_ratio(sr_in, ratio, target_sr_hz)[1]
    band, band_words = input_band(readable, sr_in, cutoff, restoring=restoring, meta=meta, name=in_path)
    rate = band_rate(sr_in, band)
    method = method or auto_method(rate, target, content)  # once, not per block
    if restoring and not get_method(method).learned:
        raise AudioError(f"{in_path}: no model extends a band from {band / 1000:.1f} kHz at {sr_in} Hz"
                         f"{'' if method == 'sinc' else f' ({method} adds nothing)'}; nothing written")
    refusal = get_method(method).refusal(rate, target) if band is not None else None
    if refusal:  # say how the file became that input rate before the method's own words
        raise AudioError(f"{in_path}: its band stops at {band / 1000:.1f} kHz, so it is read as {rate} Hz audio: "
                         f"{refusal}")
    subtype = meta.subtype if out_path.suffix.lower() == in_path.suffix.lower() else None
    # Block starts in whole "units": each maps to a whole sample at the band's rate and to a multiple of
    # SEAM_ALIGN output samples, so every block's frames fall where one pass over the file puts them
    unit = math.lcm(sr_in // math.gcd(sr_in, rate), sr_in * SEAM_ALIGN // math.gcd(sr_in * SEAM_ALIGN, target))
    block = max(1, round(block_s * sr_in / unit)) * unit
    context = max(1, math.ceil(context_s * sr_in / unit)) * unit
    peak = 0.0
    with atomic_output(out_path, overwrite=overwrite) as tmp, sf.SoundFile(str(readable)) as src, \
            sf.SoundFile(tmp, "w", samplerate=target, channels=meta.channels, format=fmt, subtype=subtype) as dst, \
            _BlockWriter(dst) as writer:
        for start in tqdm(range(0, meta.frames, block), desc="upsampling", unit="block",
                          disable=not progress or meta.frames <= block):
            writer.check()
            lo = max(start - context, 0)
            src.seek(lo)
            try:
                data = src.read(min(start + block + context, meta.frames) - lo, dtype="float32", always_2d=True)
            except (sf.LibsndfileError, RuntimeError) as exc:
                raise AudioError(f"{in_path}: unreadable audio near {start / sr_in:.1f} s ({exc})") from None
            x = data.T if meta.channels > 1 else data[:, 0]
            x = validate_audio(x, name=f"{in_path} (from {lo / sr_in:.1f} s)")
            peak = max(peak, float(np.abs(x).max()))
            y = upsample_band(x, sr_in, band, target, method)
            # keep the output of [start, start + block): drop the context on both sides
            n_keep_in = min(block, meta.frames - start)
            y0 = (start - lo) * target // sr_in
            y1 = y0 + round(n_keep_in * target / sr_in)
            writer.write(fit_to_subtype(np.atleast_2d(y)[:, y0:y1], subtype).T)
    if peak == 0.0:
        warnings.warn(f"{in_path}: the input is silent (all zeros); the output is silent too", SilentInputWarning)
    name = get_method(method).name
    return out_path, method_text(method, target).replace(name, name + band_words, 1)


class _BlockWriter:
    """Writes a file's blocks in a thread while the next block is made (libsndfile releases the GIL), one
    at most in flight: memory grows by one block of output.

    A failed write raises its error at the next :meth:`check` or :meth:`write`, or when the block is left.
    Leaving waits for the last write, through a second Ctrl-C too: the file is never closed while a
    write is in it.
    """

    def __init__(self, dst: sf.SoundFile):
        self.dst, self.pending = dst, None
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="srlib-write")

    def __enter__(self) -> "_BlockWriter":
        return self

    def check(self) -> None:
        """Raise the error of a write that has failed (nothing if it is still running)."""
        if self.pending is not None and self.pending.done():
            self.pending.result()

    def write(self, frames: np.ndarray) -> None:
        """Write ``frames`` (n_frames, n_channels) after the previous block has been written."""
        if self.pending is not None:
            self.pending.result()
        self.pending = self.pool.submit(self.dst.write, frames)

    def __exit__(self, kind, exc, tb) -> bool:
        try:
            while self.pending is not None and not self.pending.done():
                try:
                    wait([self.pending])
                except KeyboardInterrupt:  # the write ends first; the interrupt under way then goes on
                    continue
            if kind is None and self.pending is not None:
                self.pending.result()  # the last block's error
        finally:
            self.pool.shutdown()
        return False


def _dask_client(address: str):
    """A Dask distributed client connected to the scheduler at ``address`` (ConfigError if it cannot be reached
    within Dask's own ``distributed.comm.timeouts.connect``, 30 s unless configured)."""
    import dask
    from distributed import Client

    try:
        return Client(address, timeout=dask.config.get("distributed.comm.timeouts.connect"), set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ConfigError(f"scheduler: cannot reach a Dask scheduler at {address} ({exc})") from None


_BUSY = False  # in a worker process: whether a file is being written (Ctrl-C interrupts only then)
_IN_WORKER = False


def quiet_after_interrupt() -> None:
    """Ctrl-C can land inside a constructor (a ``ZipFile`` of ``np.load`` loading a model), and the half-built
    object then reports a traceback from its destructor when it is collected ("Exception ignored in ...").
    After an interrupt that is noise on a clean stop: from here on, such reports are dropped."""
    sys.unraisablehook = lambda unraisable: None


def _worker_init(interruptible: bool = True):
    """Worker processes: Ctrl-C (SIGINT to the process group) stops the file being written, silently.

    ``interruptible`` is False where the parent ignores SIGINT (started with it ignored, as a
    background job of a non-interactive shell is): the workers then ignore it too, so a SIGINT to
    the group cannot fail files of a run that goes on.
    """
    global _IN_WORKER
    _IN_WORKER = True
    if not interruptible:
        return  # SIGINT stays ignored, as the workers inherited it while starting

    def on_sigint(signum, frame):
        if _BUSY:
            quiet_after_interrupt()
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)


def _upsample_one(job):
    """One file of :func:`upsample_folder` (module level, so worker processes can run it):
    (src, None or the error, the method used as :func:`method_text` words it or None)."""
    global _BUSY
    src, dest, kw = job
    try:
        _BUSY = True
        dest.parent.mkdir(parents=True, exist_ok=True)
        return src, None, upsample_file_used(src, dest, **kw)[1]
    except AudioError as exc:
        return src, str(exc), None
    except KeyboardInterrupt:  # the atomic write has removed its temporary file
        if not _IN_WORKER:
            raise  # one process: stop here
        return src, "interrupted", None  # a worker: the parent, interrupted too, stops the pool
    finally:
        _BUSY = False


def upsample_folder(src_dir, out_dir, ratio=None, *, target_sr_hz=None, method: str | None = None,
                    content: str | None = None, cutoff="auto", overwrite: bool = False, jobs: int = 1,
                    scheduler: str | None = None, progress: bool = False) -> dict:
    """Super-resolve every audio file under ``src_dir`` into the same tree under ``out_dir``.

    ``ratio`` or ``target_sr_hz`` (Hz) as for :func:`upsample_file`; each file keeps its channels,
    its length in seconds and (same format) its sample subtype. Each file goes through
    :func:`upsample_file` (atomic writes, bounded memory). An output that already exists is
    complete (writes are atomic), so it is skipped unless ``overwrite``: a re-run after an
    interruption does only what is left. ``jobs`` worker processes share the
    files (each loads the model once, on its first file); the outputs are the same as with one.
    ``scheduler`` (a Dask distributed scheduler's address, ``tcp://host:8786``; needs
    ``srlib[cluster]``) sends one task per file to that cluster's workers instead: each
    worker must see both folders at the same paths (shared storage) and have srlib
    installed; it writes its files atomically itself. Nothing is created when there is
    nothing to process. At the end, temporary files that a killed writer (a worker lost
    mid-file, an earlier run stopped hard) left beside this run's outputs are removed
    (:func:`srlib.audio.stale_parts`).

    Returns
    -------
    dict with ``written``, ``skipped`` (lists of source paths), ``failed`` (list of (path, reason))
    and ``methods`` ({what :func:`method_text` says of a method used: files written with it}, most first).

    Raises
    ------
    AudioError
        ``out_dir`` missing or the same as ``src_dir``, no audio files, or ``jobs`` < 1.
    ConfigError
        ``scheduler`` with ``jobs`` > 1, or a scheduler that cannot be reached.
    """
    src_dir, out_dir = Path(src_dir), Path(out_dir or "")
    if not str(out_dir) or out_dir.resolve() == src_dir.resolve():
        raise AudioError("upsample of a folder needs --output-dir, a different folder from the input")
    if int(jobs) < 1:
        raise AudioError(f"jobs: got {jobs}; expected 1 or more worker processes")
    if scheduler and int(jobs) > 1:
        raise ConfigError("jobs: with a scheduler the cluster's workers share the files; leave --jobs out")
    files = find_audio_files(src_dir)
    if not files:  # before anything is created: nothing to process leaves nothing behind
        raise AudioError(f"{src_dir}: no audio files ({', '.join((*AUDIO_SUFFIXES, *CONTAINER_SUFFIXES))}) found")
    kw = dict(ratio=ratio, target_sr_hz=target_sr_hz, method=method, content=content, cutoff=cutoff,
              overwrite=overwrite)
    todo, skipped = [], []
    if scheduler:  # workers elsewhere, other working folders: absolute paths
        src_dir, out_dir, files = src_dir.resolve(), out_dir.resolve(), [f.resolve() for f in files]
    for f in files:
        dest = out_dir / f.relative_to(src_dir)
        if dest.suffix.lower() in CONTAINER_SUFFIXES:  # written as FLAC, its own name kept: a.m4a and a.webm
            dest = dest.with_name(dest.name + ".flac")  # (or a.flac) beside it do not meet in one output
        if dest.exists() and not overwrite:
            skipped.append(f)
        else:
            todo.append((f, dest, kw))
    client = _dask_client(scheduler) if scheduler and todo else None  # before anything is created
    out_dir.mkdir(parents=True, exist_ok=True)
    bar = tqdm(total=len(todo), desc="files", unit="file", disable=not progress or not todo)
    results = []
    if client is not None:
        from distributed import as_completed

        with client:
            futures = client.map(_upsample_one, todo, pure=False)  # one task per file
            try:
                for future in as_completed(futures, loop=client.loop):
                    results.append(future.result())
                    bar.update()
            except BaseException:  # Ctrl-C: cancel what has not run; running tasks finish their atomic write
                client.cancel(futures)
                raise
    elif int(jobs) == 1 or len(todo) < 2:
        for job in todo:
            results.append(_upsample_one(job))
            bar.update()
    else:
        import multiprocessing
        import signal
        from concurrent.futures import ProcessPoolExecutor

        # the workers start (all of them, within map) with Ctrl-C ignored, a disposition they inherit,
        # until their initializer installs the handler: one still importing cannot die with a traceback
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        # spawn, not fork: a parent that imported TensorFlow must not be forked
        pool = ProcessPoolExecutor(min(int(jobs), len(todo)), mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_worker_init, initargs=(previous is not signal.SIG_IGN,))
        try:
            results_iter = pool.map(_upsample_one, todo)
        finally:
            signal.signal(signal.SIGINT, previous)
        try:
            for result in results_iter:
                results.append(result)
                bar.update()
        except BaseException:  # Ctrl-C: drop what has not started; the workers' atomic writes leave no partial file
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
    bar.close()
    for _, dest, _ in todo:  # every writer of this run is done: what is left beside its outputs is a dead one's
        for part in stale_parts(dest):
            part.unlink(missing_ok=True)
    # each file's own cutoff is in its method's words; the summary counts the methods across them
    used = Counter(re.sub(r" from a detected [\d.]+ kHz cutoff", " from detected cutoffs", m)
                   for _, err, m in results if err is None)
    return {"written": [f for f, err, _ in results if err is None], "skipped": skipped,
            "failed": [(f, err) for f, err, _ in results if err is not None], "methods": dict(used.most_common())}
