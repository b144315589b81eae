"""Quality measures for super-resolved audio: SNR, LSD (full, high and low band), SI-SDR, PESQ, STOI.

All functions take a reference (the true high-rate signal) and an estimate of
the same shape ``(n_samples,)``, in linear amplitude.

LSD, the one definition srlib uses
----------------------------------
Power spectrograms ``P(t, f) = |STFT(x)|^2`` with a Hann window, ``n_fft=2048``,
``hop=512``, frames centred (librosa pads ``n_fft // 2`` zeros at each end, its default ``pad_mode``),

.. math::

    \\mathrm{LSD} = \\frac{1}{T} \\sum_t \\sqrt{ \\frac{1}{F} \\sum_f
        \\left( \\log_{10} (P(t,f) + \\epsilon) - \\log_{10} (\\hat P(t,f) + \\epsilon) \\right)^2 }

with ``epsilon = 1e-10``: mean over frequency *inside* the square root, then
mean over frames (the convention of NU-Wave and AERO). LSD-HF restricts ``f``
to the bins above the low-rate Nyquist ``sr_hz / (2 ratio)``, LSD-LF to the
bins at or below it.

Why papers' LSD numbers differ: some use the natural log or dB (a factor
ln 10 or 10 on the same signals), some average over frames inside the root,
some clamp at a larger epsilon or use magnitude instead of power (a factor of
2 in log10), and STFT sizes differ. Compare numbers only under one definition:
the results chapter recomputes every baseline under this one.

Level: :func:`evaluate_pair` divides reference and estimate alike by the
reference's peak before measuring, so that no number depends on the recording
level (SNR, SI-SDR and STOI do not anyway; LSD's ``epsilon`` floor and PESQ do).
A clip recorded at -20 dBFS and its model output are scored as if peak-normalised.

Perceptual and intelligibility measures come from registry packages, not our
code: wide-band PESQ (ITU-T P.862.2, the ``pesq`` package; defined for 16 kHz
speech only; P.862.2's MOS-LQO mapping bounds it to about 1.04-4.64) and STOI (Taal et al. 2011, ``pystoi``; 0 to 1,
computed after its own resampling to 10 kHz, so it barely sees the band above
5 kHz that super-resolution restores: it checks that a method does not damage
intelligibility, not that it restores the high band).

How loud an added band is: :func:`band_level_db`, the power of the estimate's band above the input's
cutoff against the reference's, in dB (0 dB as loud; what :mod:`srlib.oracles` and the results chapter
put beside the other measures).

Listener-trained, no reference: DNSMOS (Reddy et al. 2021, 2022), Microsoft's networks trained to
predict human ratings of speech, shipped as ONNX models in the ``speechmos`` wheel and run by
``onnxruntime``, offline. It scores a clip alone on ITU-T P.808's absolute-category scale
(``dnsmos``) and on P.835's three (``dnsmos_sig`` the speech, ``dnsmos_bak`` the background,
``dnsmos_ovrl`` overall), each about 1 to 5, higher is better. It rewards what listeners
reward, a plausible full band included, where PESQ-WB penalises any band that differs from the
original. :func:`evaluate_pair` scores the reference too (``dnsmos_ref``), so that a table can
say how much of the gap between sinc and the original a method closes (:func:`dnsmos_gap`).
"""

from __future__ import annotations

import functools
import hashlib
import math
import warnings
from pathlib import Path

import numpy as np

from .audio import validate_audio
from .errors import AudioError
from .spectral import stft

__all__ = ["snr_db", "si_sdr_db", "lsd", "band_level_db", "pesq_wb", "stoi", "dnsmos", "dnsmos_gap", "evaluate_pair",
           "LSD_N_FFT", "LSD_HOP", "LSD_EPS", "METRICS", "METRIC_LABELS"]

#: Metric keys of :func:`evaluate_pair`, in table order (``pesq`` and ``stoi`` only where computed).
METRICS = ("snr_db", "lsd", "lsd_hf", "lsd_lf", "si_sdr_db", "pesq", "stoi", "dnsmos", "dnsmos_sig", "dnsmos_bak",
           "dnsmos_ovrl", "dnsmos_ref")
#: How tables and figures label each metric (``dnsmos_gap`` is a summary's, :func:`dnsmos_gap`).
METRIC_LABELS = {"snr_db": "SNR (dB)", "lsd": "LSD", "lsd_hf": "LSD-HF", "lsd_lf": "LSD-LF",
                 "si_sdr_db": "SI-SDR (dB)", "pesq": "PESQ-WB", "stoi": "STOI", "dnsmos": "DNSMOS P.808",
                 "dnsmos_sig": "DNSMOS SIG", "dnsmos_bak": "DNSMOS BAK", "dnsmos_ovrl": "DNSMOS OVRL",
                 "dnsmos_ref": "DNSMOS P.808 of the original", "dnsmos_gap": "DNSMOS gap closed"}
#: DNSMOS's rate: its networks take 16 kHz speech.
DNSMOS_SR_HZ = 16000
#: DNSMOS's window in seconds: a clip is scored in windows this long, a second apart.
DNSMOS_WINDOW_S = 9.01
_DNSMOS_KEYS = {"p808_mos": "dnsmos", "sig_mos": "dnsmos_sig", "bak_mos": "dnsmos_bak", "ovrl_mos": "dnsmos_ovrl"}
_DNSMOS_SEEN: dict = {}  # digest of a clip -> its scores: a reference is scored once, not once per method

LSD_N_FFT = 2048
LSD_HOP = 512
LSD_EPS = 1e-10


def _pair(reference, estimate):
    ref = validate_audio(reference, name="reference").astype(np.float64)
    est = validate_audio(estimate, name="estimate").astype(np.float64)
    if ref.shape != est.shape:
        raise AudioError(f"estimate: shape {est.shape} differs from the reference's {ref.shape}")
    return ref, est


def snr_db(reference, estimate) -> float:
    """Signal-to-noise ratio in dB: ``10 log10(sum(ref^2) / sum((ref - est)^2))``.

    Returns ``inf`` for a perfect estimate.

    Examples
    --------
    >>> snr_db([1.0, -1.0], [1.0, -1.0])
    inf
    >>> round(snr_db([1.0, -1.0], [0.9, -0.9]), 2)
    20.0
    """
    ref, est = _pair(reference, estimate)
    noise = np.sum((ref - est) ** 2)
    if noise == 0:
        return float("inf")
    return float(10 * np.log10(np.sum(ref**2) / noise))


def si_sdr_db(reference, estimate) -> float:
    """Scale-invariant signal-to-distortion ratio in dB (Le Roux et al. 2019).

    The estimate is projected on the reference, ``s = (<est, ref> / <ref, ref>) ref``,
    and ``SI-SDR = 10 log10(|s|^2 / |est - s|^2)``: a gain error costs nothing.
    """
    ref, est = _pair(reference, estimate)
    ref_e = np.sum(ref**2)
    if ref_e == 0:
        raise AudioError("reference: silent; SI-SDR is undefined")
    target = np.sum(est * ref) / ref_e * ref
    noise = np.sum((est - target) ** 2)
    if noise == 0:
        return float("inf")
    return float(10 * np.log10(np.sum(target**2) / noise))


def _log_power(x: np.ndarray, n_fft: int, hop: int, eps: float = LSD_EPS) -> np.ndarray:
    if x.shape[-1] < n_fft:
        x = np.pad(x, (0, n_fft - x.shape[-1]))
    spec = stft(x, n_fft, hop)
    return np.log10(np.abs(spec) ** 2 + eps)  # (n_bins, n_frames)


def lsd(
    reference,
    estimate,
    *,
    sr_hz: float | None = None,
    band: str = "full",
    cutoff_hz: float | None = None,
    n_fft: int = LSD_N_FFT,
    hop: int = LSD_HOP,
    eps: float = LSD_EPS,
) -> float:
    """Log-spectral distance (see the module docstring for the definition).

    Parameters
    ----------
    reference, estimate : float arrays, shape (n_samples,)
    sr_hz : float, optional
        Rate in Hz; needed with ``band="high"`` or ``"low"``.
    band : {"full", "high", "low"}
        Which bins: all, above ``cutoff_hz``, or at/below it.
    cutoff_hz : float, optional
        The low-rate Nyquist frequency ``sr_hz / (2 ratio)``, for the bands.
    n_fft, hop : int
        STFT size and hop in samples.
    eps : float
        Floor added to each power before the log (an empty band scores ``-log10(eps)`` against a
        full one, so the floor sets how much a method that adds nothing is punished).

    Returns
    -------
    float, LSD in log10 units (0 for identical signals).
    """
    if band not in ("full", "high", "low"):
        raise AudioError(f"band: got {band!r}; expected 'full', 'high' or 'low'")
    ref, est = _pair(reference, estimate)
    if ref.ndim != 1:
        raise AudioError(f"reference: LSD takes mono signals, got shape {ref.shape}")
    if not eps > 0:
        raise AudioError(f"eps: got {eps!r}; expected a positive floor")
    diff2 = (_log_power(ref, n_fft, hop, eps) - _log_power(est, n_fft, hop, eps)) ** 2
    if band != "full":
        if sr_hz is None or cutoff_hz is None:
            raise AudioError(f"lsd: band={band!r} needs sr_hz and cutoff_hz")
        freqs = np.arange(diff2.shape[0]) * sr_hz / n_fft
        keep = freqs > cutoff_hz if band == "high" else freqs <= cutoff_hz
        diff2 = diff2[keep]
    return float(np.mean(np.sqrt(np.mean(diff2, axis=0))))


def band_level_db(reference, estimate, sr_hz: float, cutoff_hz: float, n_fft: int = 512, hop: int = 128) -> float:
    """How loud an estimate's band above ``cutoff_hz`` is next to the reference's, in dB.

    ``10 log10(sum |X_hat(t, f)|^2 / sum |X(t, f)|^2)`` over every frame and the bins from ``cutoff_hz``
    up (Hann STFT of ``n_fft`` and ``hop`` samples): 0 dB a band as loud as the original's overall,
    -20 dB a tenth of its amplitude. Loud frames dominate the sums, as they dominate what is heard.
    NaN where the reference has no band, minus infinity where the estimate has none.

    >>> x = np.random.default_rng(0).standard_normal(16000)
    >>> round(band_level_db(x, 0.1 * x, 16000, 2000), 1)
    -20.0
    """
    reference, estimate = _pair(reference, estimate)
    first = int(np.ceil(cutoff_hz * n_fft / sr_hz))
    power = [float(np.sum(np.abs(stft(s, n_fft, hop)[first:]) ** 2)) for s in (reference, estimate)]
    if power[0] <= 0:
        return float("nan")
    return 10 * math.log10(power[1] / power[0]) if power[1] > 0 else -math.inf


def pesq_wb(reference, estimate, sr_hz: int = 16000) -> float:
    """Wide-band PESQ (ITU-T P.862.2) of ``estimate`` against ``reference``, both at 16 kHz.

    Returns a MOS-LQO score, about 1.04 to 4.64 under P.862.2's mapping (higher is better), or NaN where
    PESQ finds no speech to score (silence, clips shorter than ~0.25 s).
    """
    from pesq import pesq

    if int(sr_hz) != 16000:
        raise AudioError(f"pesq_wb: defined for 16000 Hz speech; got {sr_hz} Hz")
    ref, est = _pair(reference, estimate)
    if not np.any(ref) or not np.any(est):
        return float("nan")  # pesq scales by the peak: an all-zero clip would divide by zero
    try:
        return float(pesq(16000, ref.astype(np.float64), est.astype(np.float64), "wb"))
    except Exception:  # pesq raises its own NoUtterancesError/BufferTooShortError on unscorable clips
        return float("nan")


def stoi(reference, estimate, sr_hz: int) -> float:
    """Short-time objective intelligibility (Taal et al. 2011) via ``pystoi``; 0 to 1, higher is better.

    NaN for clips too short to hold one 384 ms analysis segment after silence removal.
    """
    from pystoi import stoi as _stoi

    ref, est = _pair(reference, estimate)
    with warnings.catch_warnings():  # pystoi warns, then returns 1e-5, on clips too short to score
        warnings.simplefilter("ignore", RuntimeWarning)
        value = float(_stoi(ref.astype(np.float64), est.astype(np.float64), int(sr_hz), extended=False))
    return value if np.isfinite(value) and value > 1e-5 else float("nan")


@functools.cache
def _dnsmos_model():
    """speechmos's DNSMOS (its P.835 and P.808 ONNX networks), run by threads that sleep between calls.

    ``speechmos.dnsmos.run`` builds the sessions with onnxruntime's defaults, whose threads
    busy-wait between calls and starve a training run or a book build beside them."""
    import onnxruntime as ort
    from speechmos import dnsmos as _dnsmos

    options = ort.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    models = Path(_dnsmos.__file__).parent / "dnsmos_models"
    model = _dnsmos.DNSMOS.__new__(_dnsmos.DNSMOS)  # its __init__ would build default sessions
    model.primary_model_path = str(models / "sig_bak_ovr.onnx")
    model.onnx_sess = ort.InferenceSession(model.primary_model_path, options, providers=["CPUExecutionProvider"])
    model.p808_onnx_sess = ort.InferenceSession(str(models / "model_v8.onnx"), options,
                                                providers=["CPUExecutionProvider"])
    return model


def dnsmos(audio, sr_hz: int = DNSMOS_SR_HZ) -> dict:
    """DNSMOS scores of one 16 kHz speech clip, no reference needed (``speechmos``'s ONNX models).

    Parameters
    ----------
    audio : float array, shape (n_samples,)
        Speech at 16 kHz; samples beyond +-1 are clipped (the models take that range). A clip
        shorter than the models' 9.01 s window is repeated to fill it once, a longer one is scored
        in 9.01 s windows a second apart and averaged (one window up to 10 s).
    sr_hz : int
        Its rate; 16000 only.

    Returns
    -------
    dict: ``dnsmos`` (P.808 MOS), ``dnsmos_sig``, ``dnsmos_bak``, ``dnsmos_ovrl`` (P.835), each about
    1 to 5, higher is better; NaN for a silent clip. A clip's scores are remembered by its content,
    so scoring the same reference for several methods costs one run.
    """
    if int(sr_hz) != DNSMOS_SR_HZ:
        raise AudioError(f"dnsmos: defined for {DNSMOS_SR_HZ} Hz speech; got {sr_hz} Hz")
    x = np.clip(validate_audio(audio, name="audio"), -1.0, 1.0).astype(np.float32)
    if not np.any(x):
        return dict.fromkeys(_DNSMOS_KEYS.values(), float("nan"))
    digest = hashlib.blake2b(x.tobytes(), digest_size=16).digest()
    if digest not in _DNSMOS_SEEN:
        window = math.ceil(DNSMOS_WINDOW_S * DNSMOS_SR_HZ)
        # a short clip repeated to one window exactly: speechmos would double it past 16 s (eight windows)
        scores = _dnsmos_model()(np.resize(x, window) if len(x) < window else x, DNSMOS_SR_HZ, False)
        if len(_DNSMOS_SEEN) > 256:
            _DNSMOS_SEEN.clear()
        _DNSMOS_SEEN[digest] = {key: float(scores[k]) for k, key in _DNSMOS_KEYS.items()}
    return dict(_DNSMOS_SEEN[digest])


def dnsmos_gap(method: float, sinc: float, reference: float) -> float:
    """The share of the DNSMOS gap between sinc and the original that a method closes, from three mean scores.

    ``(method - sinc) / (reference - sinc)`` of the three means (MOS points, each over the same clips
    scored at 16000 Hz): 0 sounds like sinc to DNSMOS, 1 like the original, a
    negative value worse than sinc. NaN where the original does not score above sinc (no gap to close).

    >>> round(dnsmos_gap(3.43, 3.13, 3.88), 2)
    0.4
    >>> dnsmos_gap(3.5, 3.5, 3.4)
    nan
    """
    gap = reference - sinc
    return float((method - sinc) / gap) if gap > 0 else float("nan")


def evaluate_pair(reference, estimate, sr_hz: float, ratio: int, *, perceptual: bool = False,
                  listener: bool = True) -> dict:
    """All metrics for one utterance.

    Parameters
    ----------
    reference, estimate : float arrays, shape (n_samples,)
        The high-rate reference and the up-sampled estimate, both at ``sr_hz``.
    sr_hz : float
        Their rate in Hz.
    ratio : int
        Up-sampling factor: LSD-HF/LSD-LF split at the low rate's Nyquist, ``sr_hz / (2 ratio)`` Hz.
    perceptual : bool
        Also compute ``stoi`` and, at 16 kHz, ``pesq`` (wide band) and :func:`dnsmos` of the estimate
        and of the reference (``dnsmos_ref``); ~0.1 s per clip, and ~0.2 s per clip DNSMOS has not seen.
    listener : bool
        With ``perceptual``, whether DNSMOS is among them (a caller that reads PESQ and STOI alone
        skips its cost).

    Returns
    -------
    dict with ``snr_db``, ``si_sdr_db``, ``lsd``, ``lsd_hf`` and ``lsd_lf`` (and ``pesq``, ``stoi``, the
    ``dnsmos`` keys),
    measured on the pair divided by the reference's peak (a silent reference is measured as is).
    """
    cutoff = sr_hz / (2 * ratio)
    peak = float(np.max(np.abs(reference))) if np.size(reference) else 0.0
    if peak > 0:
        reference, estimate = np.asarray(reference) / peak, np.asarray(estimate) / peak
    out = {
        "snr_db": snr_db(reference, estimate),
        "si_sdr_db": si_sdr_db(reference, estimate),
        "lsd": lsd(reference, estimate),
        "lsd_hf": lsd(reference, estimate, sr_hz=sr_hz, band="high", cutoff_hz=cutoff),
        "lsd_lf": lsd(reference, estimate, sr_hz=sr_hz, band="low", cutoff_hz=cutoff),
    }
    if perceptual:
        if int(sr_hz) == 16000:
            out["pesq"] = pesq_wb(reference, estimate)
        out["stoi"] = stoi(reference, estimate, int(sr_hz))
        if listener and int(sr_hz) == DNSMOS_SR_HZ:
            out.update(dnsmos(estimate), dnsmos_ref=dnsmos(reference)["dnsmos"])
    return out
