"""A listening report: one self-contained HTML page that compares methods on a user's own file, by ear and by eye.

``srlib report song.mp3 --methods sinc frame -o report.html`` reads the file, finds where its band
stops (:func:`srlib.api.input_band`), runs each method from there as ``srlib upsample`` would, and
writes a page with, per method, a player (Ogg Vorbis, inline), a spectrogram with the detected
cutoff marked, and what can be measured without the original: the output's band edge and, for
speech, DNSMOS (:func:`srlib.metrics.dnsmos`). Nothing on the page reaches the network.
"""

from __future__ import annotations

import base64
import html
import io
import time
from pathlib import Path

import soundfile as sf

from .api import auto_method, band_rate, input_band, upsample_band
from .audio import atomic_output, decoded, fix_length, info, resample, validate_audio
from .errors import AudioError
from .methods import get_method
from .metrics import DNSMOS_SR_HZ, dnsmos
from .players import player
from .spectral import detect_cutoff_hz, log_power_spectrogram

__all__ = ["listening_report", "write_report"]

_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}
td,th{border-bottom:1px solid #ddd;padding:.5em;text-align:left;vertical-align:middle}
img{width:420px;height:auto}caption{text-align:left;margin-bottom:.5em;color:#555}"""


def _spectrogram_png(x, sr_hz: int, cutoff_hz: float | None, title: str) -> str:
    """A spectrogram of mono ``x`` as a base64 PNG, the input's cutoff drawn as a dashed line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spec = log_power_spectrogram(x, n_fft=1024, hop=256)
    fig, ax = plt.subplots(figsize=(6, 2.6), dpi=80)
    ax.imshow(spec, origin="lower", aspect="auto", cmap="magma", extent=(0, len(x) / sr_hz, 0, sr_hz / 2000))
    if cutoff_hz:
        ax.axhline(cutoff_hz / 1000, color="w", ls="--", lw=1)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("kHz")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _dnsmos_of(y, sr_hz: int) -> float | None:
    """DNSMOS P.808 of ``y`` (mono), or None where ``srlib[perceptual]`` is not installed."""
    try:
        return dnsmos(resample(y, sr_hz, DNSMOS_SR_HZ))["dnsmos"]
    except ModuleNotFoundError:
        return None


def listening_report(path, methods=(None, "sinc"), *, target_sr_hz: int | None = None, cutoff="auto",
                     content: str | None = None, excerpt_s: float = 20.0, listener: bool = True) -> str:
    """The HTML page of a listening report on the audio file at ``path``.

    Parameters
    ----------
    methods : sequence of str or None
        Methods to compare (:func:`srlib.methods.get_method` names); None is the default model for
        the file's band and rates (:func:`srlib.api.auto_method`).
    target_sr_hz : int, optional
        Output rate; default the file's own (only the band it lacks is added).
    cutoff, content
        As for :func:`srlib.api.upsample_file_used`.
    excerpt_s : float
        Seconds of the file the page holds (from its start).
    listener : bool
        Add DNSMOS where ``srlib[perceptual]`` is installed (a speech measure).

    Returns
    -------
    str: a whole HTML document, images and audio inline.
    """
    path = Path(path)
    with decoded(path) as readable:  # an M4A or WebM: its decode
        meta = info(readable)
        sr = int(meta.samplerate)
        restoring = target_sr_hz is None or int(target_sr_hz) == sr
        target = sr if restoring else int(target_sr_hz)
        band, _ = input_band(readable, sr, cutoff, restoring=restoring, meta=meta, name=path)
        rate = band_rate(sr, band)  # as srlib upsample reads the file
        try:  # the excerpt alone: a two-hour file is not read whole
            data, _ = sf.read(str(readable), frames=int(excerpt_s * sr), dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise AudioError(f"{path}: unreadable audio ({exc})") from None
    x = validate_audio(data.T if data.shape[1] > 1 else data[:, 0], name=str(path))
    n_out = round(x.shape[-1] * target / sr)
    rows = [("the file as it is", x if target == sr else fix_length(resample(x, sr, target), n_out))]
    for name in methods:
        name = name or auto_method(rate, target, content)
        refusal = get_method(name).refusal(rate, target)
        if refusal:
            raise AudioError(f"report: {refusal}")
        started = time.perf_counter()
        y = upsample_band(x, sr, band, target, name)
        rows.append((f"{get_method(name).label(target)} ({time.perf_counter() - started:.1f} s)", y))
    cells = []
    for label, y in rows:
        mono = y.mean(axis=0) if y.ndim == 2 else y
        after = detect_cutoff_hz(mono, target)
        score = _dnsmos_of(mono, target) if listener else None
        cells.append(
            f"<tr><td>{html.escape(label)}</td><td>{player(y, target)._repr_html_()}</td>"
            f"<td><img alt='spectrogram: {html.escape(label)}' src='data:image/png;base64,"
            f"{_spectrogram_png(mono, target, band, label)}'/></td>"
            f"<td>{'full band' if after is None else f'{after / 1000:.1f} kHz'}</td>"
            f"<td>{'' if score is None else f'{score:.2f}'}</td></tr>")
    how = "detected" if cutoff == "auto" else "given"
    found = f"its band stops at {band / 1000:.1f} kHz ({how})" if band else "its band reaches its Nyquist frequency"
    caption = (f"{html.escape(path.name)}: {sr} Hz, {meta.channels} channel(s); {html.escape(found)}; the first "
               f"{x.shape[-1] / sr:.1f} s, each method's output at {target} Hz. The dashed line marks the input's "
               "cutoff. DNSMOS P.808 (1-5, a speech measure) where srlib[perceptual] is installed.")
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>srlib listening report: "
            f"{html.escape(path.name)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>Listening report: {html.escape(path.name)}</h1><table><caption>{caption}</caption>"
            "<tr><th>method</th><th>listen</th><th>spectrogram</th><th>band edge</th><th>DNSMOS</th></tr>"
            + "".join(cells) + "</table></body></html>")


def write_report(path, out, *, overwrite: bool = False, **kw) -> Path:
    """:func:`listening_report` of ``path`` written atomically to ``out`` (refused where it exists, unless
    ``overwrite``)."""
    page = listening_report(path, **kw)
    with atomic_output(out, overwrite=overwrite) as tmp:
        Path(tmp).write_text(page, encoding="utf-8")
    return Path(out)
