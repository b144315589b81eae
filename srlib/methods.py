"""Methods: what a user names with ``--model`` or ``method=``, each answering the same calls.

A *method* is one of three things, and this module is the one place that tells them apart:

- :class:`Lowres`: ``"lowres"``, the band-limited signal at the high rate (what you hear with no
  super-resolution at all); an evaluation's floor, made from the reference, never from a file;
- :class:`Baseline`: an interpolation of :data:`srlib.interpolate.METHODS` (``"spline"``, ``"sinc"``, ...),
  which serves any rates;
- :class:`TrainedModel`: a shipped model by alias or folder name, or a model folder, which serves the
  rates its card says (:meth:`srlib.models.card.ModelCard.refusal`) and has a lineage.

An evaluation also scores what a session holds in memory: :class:`Loaded` (an ``SRModel``) and
:class:`Function` (a callable at one ratio, with the lineage it is given).

Each answers :meth:`~Method.serves`, :meth:`~Method.refusal`, :meth:`~Method.upsample` and
:meth:`~Method.label`. :func:`srlib.api.upsample`, the command line and the evaluation ask them rather
than asking a name what it is.

>>> get_method("spline").upsample(np.zeros(8, "float32"), 8000, 16000).shape
(16,)
>>> get_method("sinc").refusal(16000, 8000)
'sinc: target_sr_hz 8000 Hz is not above the input rate 16000 Hz'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .audio import resample
from .errors import AudioError
from .inference import load_model, upsample_with_model
from .interpolate import METHODS, upsample_baseline_to
from .models.card import ModelCard, model_folder

__all__ = ["Method", "Lowres", "Baseline", "TrainedModel", "Loaded", "Function", "get_method", "LOWRES"]

#: The name of the no-super-resolution floor an evaluation scores.
LOWRES = "lowres"


class Method:
    """What every method answers. ``name`` is what the user typed (an alias stays an alias)."""

    name: str
    #: A method that learned from data: its lineage says from which (:mod:`srlib.lineage`).
    learned = False

    def refusal(self, sr_hz: int, target_sr_hz: int) -> str | None:
        """Why the method cannot take ``sr_hz`` Hz input to ``target_sr_hz`` Hz, or None where it can."""
        if target_sr_hz <= sr_hz:
            return f"{self.name}: target_sr_hz {target_sr_hz} Hz is not above the input rate {sr_hz} Hz"
        return None

    def serves(self, sr_hz: int, target_sr_hz: int) -> bool:
        """Whether the method can take ``sr_hz`` Hz input to ``target_sr_hz`` Hz."""
        return self.refusal(sr_hz, target_sr_hz) is None

    def upsample(self, x, sr_hz: int, target_sr_hz: int, *, progress: bool = False) -> np.ndarray:
        """``x`` (shape (n,) or (channels, n), at ``sr_hz``) at ``target_sr_hz``: shape (..., n_out)."""
        raise NotImplementedError

    def label(self, target_sr_hz: int) -> str:
        """How ``srlib upsample`` names the method it used for ``target_sr_hz`` output."""
        return self.name

    @property
    def lineage(self):
        """The sources and groups the method learned from (:class:`srlib.lineage.Lineage`); None: none."""
        return None


@dataclass(frozen=True)
class Lowres(Method):
    """``"lowres"``: the reference low-passed at the input's Nyquist frequency, kept at the high rate."""

    name: str = LOWRES

    def refusal(self, sr_hz: int, target_sr_hz: int) -> str | None:
        return (f"{LOWRES}: the band-limited reference is an evaluation's floor, made from the reference; "
                "it does not up-sample a file")

    def upsample(self, x, sr_hz: int, target_sr_hz: int, *, progress: bool = False) -> np.ndarray:
        raise AudioError(self.refusal(sr_hz, target_sr_hz))


@dataclass(frozen=True)
class Baseline(Method):
    """An interpolation of :data:`srlib.interpolate.METHODS`: at the next integer ratio, then resampled to the
    target where that is not a multiple of the input rate (soxr)."""

    name: str

    def upsample(self, x, sr_hz: int, target_sr_hz: int, *, progress: bool = False) -> np.ndarray:
        refusal = self.refusal(sr_hz, target_sr_hz)
        if refusal:
            raise AudioError(refusal)
        return upsample_baseline_to(x, sr_hz, target_sr_hz, self.name)


@dataclass(frozen=True)
class TrainedModel(Method):
    """A trained model: a shipped one by alias (``"frame"``) or folder name, or a model folder. Its card is read
    at once; the network is loaded on the first :meth:`upsample`."""

    name: str
    learned = True

    @cached_property
    def card(self):
        return ModelCard.read(model_folder(self.name))

    def refusal(self, sr_hz: int, target_sr_hz: int) -> str | None:
        return super().refusal(sr_hz, target_sr_hz) or self.card.refusal(sr_hz, target_sr_hz)

    def serves(self, sr_hz: int, target_sr_hz: int) -> bool:
        """The stricter choice of a default (:meth:`srlib.models.card.ModelCard.serves`)."""
        return self.card.serves(sr_hz, target_sr_hz)

    @property
    def model(self):
        """The network (:class:`srlib.inference.SRModel`, loaded once and cached)."""
        return load_model(self.card.path)

    def upsample(self, x, sr_hz: int, target_sr_hz: int, *, progress: bool = False) -> np.ndarray:
        y, out_sr = upsample_with_model(x, sr_hz, target_sr_hz, model=self.model, progress=progress)
        return y if out_sr == target_sr_hz else resample(y, out_sr, target_sr_hz)

    def label(self, target_sr_hz: int) -> str:
        sr_hz = self.card.sr_hz
        return (self.name if sr_hz == target_sr_hz
                else f"{self.name}, its {sr_hz} Hz output resampled to {target_sr_hz} Hz")

    @property
    def lineage(self):
        return self.card.lineage


@dataclass(frozen=True, eq=False)
class Loaded(Method):
    """A trained model already in memory, an :class:`srlib.inference.SRModel` (one a notebook trained, or a
    calibration's candidate band gain): it serves the rates its card says, as :class:`TrainedModel` does."""

    name: str
    network: object
    learned = True

    def refusal(self, sr_hz: int, target_sr_hz: int) -> str | None:
        return super().refusal(sr_hz, target_sr_hz) or self.network.card.refusal(sr_hz, target_sr_hz)

    def upsample(self, x, sr_hz: int, target_sr_hz: int, *, progress: bool = False) -> np.ndarray:
        y, out_sr = upsample_with_model(x, sr_hz, target_sr_hz, model=self.network, progress=progress)
        return y if out_sr == target_sr_hz else resample(y, out_sr, target_sr_hz)

    @property
    def lineage(self):
        return self.network.card.lineage


@dataclass(frozen=True, eq=False)
class Function(Method):
    """A callable that up-samples by one ``ratio``, ``fn(x_lr) -> y`` (a model of a notebook's own making).

    Its lineage is ``given_lineage``, else that of the card it carries (``fn.card``, or its
    ``SRModel``'s for a bound ``upsample_lr``); with neither it has none to check.
    """

    name: str
    fn: object
    ratio: int
    given_lineage: object = None
    learned = True

    def refusal(self, sr_hz: int, target_sr_hz: int) -> str | None:
        if target_sr_hz != sr_hz * self.ratio:
            return f"{self.name}: up-samples by {self.ratio} only, not {sr_hz} Hz to {target_sr_hz} Hz"
        return None

    def upsample(self, x, sr_hz: int, target_sr_hz: int, *, progress: bool = False) -> np.ndarray:
        refusal = self.refusal(sr_hz, target_sr_hz)
        if refusal:
            raise AudioError(refusal)
        return np.asarray(self.fn(x))

    @property
    def lineage(self):
        card = getattr(self.fn, "card", None) or getattr(getattr(self.fn, "__self__", None), "card", None)
        return self.given_lineage or getattr(card, "lineage", None)


def get_method(name) -> Method:
    """The method called ``name``: ``"lowres"``, a baseline, or a trained model (shipped name, alias or folder).

    Raises
    ------
    AudioError
        ``name`` is none of these (the message lists the shipped models).
    """
    name = str(name)
    if name == LOWRES:
        return Lowres()
    if name in METHODS:
        return Baseline(name)
    method = TrainedModel(name)
    method.card  # noqa: B018  (an unknown name fails here, with the model folder's message)
    return method
