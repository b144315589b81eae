"""The three-line Python API: array in, array out; file in, file out.

>>> import numpy as np, srlib
>>> x = np.sin(2 * np.pi * 440 * np.arange(8000) / 8000).astype("float32")
>>> y, sr_out_hz = srlib.upsample(x, sr_hz=8000, ratio=2, method="spline")
>>> y.shape, sr_out_hz
((16000,), 16000)
"""

from __future__ import annotations

import math
from pathlib import Path

from .audio import _validate_rate, load, resample, save, validate_audio, validate_ratio
from .errors import AudioError
from .interpolate import METHODS, upsample_baseline

__all__ = ["upsample", "upsample_file", "resolve_ratio", "auto_method"]


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


def auto_method(sr_hz: int, target_sr_hz: int) -> str:
    """The default method: ``"unet"`` where a shipped U-Net fits the rates, else ``"sinc"``.

    A shipped model fits when the input rate is at most its input rate and
    the target at most its output rate (see :func:`srlib.inference.upsample_with_model`).
    """
    from .inference import DEFAULT_MODELS, shipped_models

    shipped = shipped_models()
    for alias, folder in DEFAULT_MODELS.items():
        if folder in shipped:
            import json

            cfg = json.loads((shipped[folder] / "config.json").read_text())
            if sr_hz <= cfg["sr_hz"] // cfg["ratio"] and target_sr_hz <= cfg["sr_hz"] and target_sr_hz > 2 * sr_hz:
                return alias
    return "sinc"


def upsample(x, sr_hz: int, ratio=None, *, target_sr_hz=None, method: str | None = None, progress: bool = False):
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
        A baseline from :data:`srlib.interpolate.METHODS`, ``"unet"`` (the
        shipped U-Net), or a model folder. Default: :func:`auto_method`.

    Returns
    -------
    y : float32 array, shape (..., n_out)
    sr_out_hz : int
    """
    x = validate_audio(x, name="x")
    r, target = resolve_ratio(sr_hz, ratio, target_sr_hz)
    method = method or auto_method(sr_hz, target)
    if method in METHODS:
        y = upsample_baseline(x, r, method)
        out_sr = sr_hz * r
    else:
        from .inference import upsample_with_model

        y, out_sr = upsample_with_model(x, sr_hz, target, model=method, progress=progress)
    if out_sr != target:
        y = resample(y, out_sr, target)
    return y, target


def upsample_file(in_path, out_path, ratio=None, *, target_sr_hz=None, method: str | None = None,
                  overwrite: bool = False, progress: bool = False) -> Path:
    """Read ``in_path``, super-resolve it, write ``out_path`` atomically.

    The output keeps the channel count and, where the format allows, the
    sample subtype (16/24-bit PCM, float) of the input. An existing
    ``out_path`` is only replaced with ``overwrite=True``, and the input file is
    never replaced.

    Returns
    -------
    Path of the written file.
    """
    in_path, out_path = Path(in_path), Path(out_path)
    if in_path.exists() and out_path.exists() and in_path.resolve() == out_path.resolve():
        raise AudioError(f"{out_path}: output is the input file; choose another output path")
    if out_path.exists() and not overwrite:
        raise AudioError(f"{out_path}: already exists; pass --overwrite to replace it")
    from .audio import info

    meta = info(in_path)
    x, sr_hz = load(in_path, mono=False)
    y, out_sr = upsample(x, sr_hz, ratio, target_sr_hz=target_sr_hz, method=method, progress=progress)
    subtype = meta.subtype if out_path.suffix.lower() == Path(in_path).suffix.lower() else None
    return save(out_path, y, out_sr, overwrite=overwrite, subtype=subtype)
