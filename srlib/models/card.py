"""Model folders and their cards, read and written without Keras.

A *model folder* holds ``model.weights.h5`` and ``config.json`` (``kind``,
``sr_hz``, ``ratio``, the architecture, the training config) and, when
``srlib train`` made it, ``command.txt`` (the command that trained it),
``log.csv`` (one row per epoch), ``metrics.json`` (the test-split
evaluation) and ``per_clip.json.gz`` (its rows, clip by clip). :class:`ModelCard` reads all of these as plain data: ``srlib
info``, the default method and the chapters use it without importing
TensorFlow. :class:`srlib.inference.SRModel` adds the network.

The card is also the one writer of a folder's text files (as BigVGAN's ``_save_pretrained`` or
DAC's ``DACFile.save`` are of theirs): :meth:`ModelCard.create` writes ``config.json`` and
``command.txt``, :meth:`ModelCard.update` changes ``config.json`` entries (the training time, a
calibration), :meth:`ModelCard.write_metrics` the evaluation. Each file is replaced atomically.

>>> card = ModelCard.read(shipped_models()["unet-speech-16k-r4"])
>>> card.kind, card.low_sr_hz, card.sr_hz
('unet', 4000, 16000)
>>> card.serves(4000, 16000), card.serves(8000, 16000)
(True, False)
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..errors import AudioError
from ..lineage import Lineage, derive_lineage
from .registry import get_kind, kind_names, shipped_aliases

__all__ = ["WEIGHTS_DIR", "PER_CLIP_NAME", "LOG_NAME", "ModelCard", "shipped_models", "model_folder", "write_text_atomic",
           "csv_rows"]

#: Where the shipped model folders live, inside the package.
WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"

#: An evaluation's clip-by-clip rows in a model folder: gzip of a JSON list (``metrics.json`` holds the rest).
PER_CLIP_NAME = "per_clip.json.gz"
#: A run's training log, one row per epoch (Keras' ``CSVLogger``).
LOG_NAME = "log.csv"


def write_text_atomic(path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file beside it and one rename: a reader (or a crash)
    sees the old file or the new one, never half of one."""
    write_bytes_atomic(path, text.encode())


def write_bytes_atomic(path, data: bytes) -> None:
    """:func:`write_text_atomic` for bytes."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def shipped_models() -> dict:
    """Folder name -> path of every model shipped inside the package."""
    if not WEIGHTS_DIR.is_dir():
        return {}
    return {p.name: p for p in sorted(WEIGHTS_DIR.iterdir()) if (p / "model.weights.h5").exists()}


def model_folder(name_or_path) -> Path:
    """The folder of a shipped model by alias (``"unet"``) or folder name, or a model folder by path."""
    name = shipped_aliases().get(str(name_or_path), str(name_or_path))
    shipped = shipped_models()
    if name in shipped:
        return shipped[name]
    path = Path(name_or_path)
    if path.is_dir():
        return path.resolve()
    have = ", ".join(shipped) or "none"
    raise AudioError(f"model: {name_or_path!r} is neither a shipped model ({have}) nor a model folder")


@dataclass(frozen=True)
class ModelCard:
    """What a model folder says about its model: config, scores, training log and command.

    ``config.json`` is read (and checked) at once; the other files when first asked for, so
    choosing a default model or listing the shipped ones does not parse every test score.

    Attributes
    ----------
    path : Path
    config : dict
        ``config.json``.
    metrics : dict or None
        ``metrics.json`` (``summary``: method -> metric -> mean/std) with its ``per_clip`` rows from
        ``per_clip.json.gz``.
    log : list of dict
        ``log.csv``, one dict per epoch, values as floats.
    command : str or None
        ``command.txt``, stripped.
    """

    path: Path
    config: dict

    @classmethod
    def read(cls, path) -> "ModelCard":
        """Read a model folder; an :class:`~srlib.errors.AudioError` says what is missing."""
        path = Path(path)
        cfg_path, weights = path / "config.json", path / "model.weights.h5"
        if not cfg_path.exists() or not weights.exists():
            raise AudioError(f"{path}: not a model folder (needs config.json and model.weights.h5)")
        try:
            config = json.loads(cfg_path.read_text())
            config["sr_hz"], config["ratio"]
        except (ValueError, KeyError) as exc:
            raise AudioError(f"{cfg_path}: not a model configuration ({exc!r} is missing or unreadable)") from None
        return cls(path, config)

    @classmethod
    def create(cls, path, config: dict, *, command: str | None = None) -> "ModelCard":
        """Make (or refresh) a model folder's ``config.json``, and ``command.txt`` where ``command`` is given.

        ``config`` needs ``sr_hz`` and ``ratio``; the weights are the caller's (a card of a folder without
        ``model.weights.h5`` is written, not read). Returns the card of what was written.
        """
        if "sr_hz" not in config or "ratio" not in config:
            raise AudioError(f"{path}: a model configuration needs sr_hz and ratio; got {sorted(config)}")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path / "config.json", json.dumps(config, indent=2))
        if command is not None:
            write_text_atomic(path / "command.txt", command.rstrip("\n") + "\n")
        return cls(path, dict(config))

    def update(self, **entries) -> "ModelCard":
        """Set ``config.json`` entries (the training time, an architecture, a calibration); returns the new card."""
        return ModelCard.create(self.path, {**self.config, **entries})

    def write_metrics(self, result: dict, text: str) -> None:
        """Write an evaluation: ``metrics.json`` (``result`` but its ``per_clip`` rows), the rows in
        :data:`PER_CLIP_NAME` (compressed: they are most of the bytes, 0.8 MB of 3.7 for 10,000 rows), and
        ``metrics.md`` (``text``, its tables)."""
        rows = result.get("per_clip")
        summary = {k: v for k, v in result.items() if k != "per_clip"}
        if rows is not None:
            write_bytes_atomic(self.path / PER_CLIP_NAME,
                               gzip.compress(json.dumps(rows, separators=(",", ":")).encode(), mtime=0))
        else:  # an earlier evaluation's rows are not this one's
            (self.path / PER_CLIP_NAME).unlink(missing_ok=True)
        write_text_atomic(self.path / "metrics.json", json.dumps(summary, indent=1))
        write_text_atomic(self.path / "metrics.md", text)
        self.__dict__.pop("metrics", None)  # the cached copy is stale

    @cached_property
    def metrics(self) -> dict | None:
        """``metrics.json`` with its ``per_clip`` rows (from :data:`PER_CLIP_NAME`), or None before an evaluation."""
        path = self.path / "metrics.json"
        if not path.exists():
            return None
        result = json.loads(path.read_text())
        if (self.path / PER_CLIP_NAME).exists():
            result["per_clip"] = json.loads(gzip.decompress((self.path / PER_CLIP_NAME).read_bytes()))
        return result

    @cached_property
    def log(self) -> list:
        """:data:`LOG_NAME`'s rows (:func:`csv_rows`)."""
        return csv_rows(self.path / LOG_NAME)

    @cached_property
    def command(self) -> str | None:
        path = self.path / "command.txt"
        return path.read_text().strip() if path.exists() else None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def kind(self) -> str:
        """The registered kind's name (``config.json``'s ``kind``; folders from before kinds were U-Nets)."""
        return self.config.get("kind", kind_names()[0])

    @property
    def sr_hz(self) -> int:
        """Output (high) rate in Hz."""
        return int(self.config["sr_hz"])

    @property
    def ratio(self) -> int:
        return int(self.config["ratio"])

    @property
    def low_sr_hz(self) -> int:
        """Input rate the model expects in Hz: ``sr_hz // ratio``."""
        return self.sr_hz // self.ratio

    @property
    def input_rates_hz(self) -> tuple | None:
        """A versatile model's range of input rates in Hz, ``(low, high)`` (``low`` is :attr:`low_sr_hz`); None for
        a model of one input rate."""
        rates = self.config.get("input_rates_hz")
        return tuple(int(r) for r in rates) if rates else None

    @property
    def calibrated(self) -> bool:
        """Whether ``srlib calibrate`` chose the model's band gain on validation clips (``config.json``'s
        ``calibration``): the gain that does no harm against the baselines there."""
        return bool(self.config.get("calibration"))

    @property
    def rates_text(self) -> str:
        """``"4000 Hz"`` or, for a versatile model, ``"4000-12000 Hz"``: the input rates, for messages."""
        low, high = self.input_rates_hz or (self.low_sr_hz, self.low_sr_hz)
        return f"{low}-{high} Hz" if high != low else f"{low} Hz"

    def model_rate(self, sr_hz: int) -> int:
        """The rate in Hz that ``sr_hz`` input is brought to for the model: its input rate, or for a versatile
        model the input's own rate, raised to the range's low end where it is below it."""
        if self.input_rates_hz:
            return max(sr_hz, self.input_rates_hz[0])
        return self.low_sr_hz

    @cached_property
    def lineage(self):
        """The sources and groups the model was trained and validated on, its ``init``'s included
        (:class:`srlib.lineage.Lineage`): ``config.json``'s ``lineage`` where ``srlib train`` recorded it, else
        derived from the training config (:func:`srlib.lineage.derive_lineage`)."""
        if "lineage" in self.config:
            return Lineage.from_dict(self.config["lineage"])
        own = derive_lineage(self.train)
        init = self.config.get("init")
        return own.union(ModelCard.read(model_folder(init)).lineage) if init else own

    @property
    def train(self) -> dict:
        """The training config (``config.json``'s ``train``; empty for an untrained folder)."""
        return self.config.get("train") or {}

    def refusal(self, sr_hz: int, target_sr_hz: int) -> str | None:
        """Why the model cannot take ``sr_hz`` input to ``target_sr_hz`` at all, or None where it can
        (:func:`srlib.inference.upsample_with_model` raises it; :meth:`serves` is the stricter choice of a default).

        It cannot where the input is above its input rate (its range's top, for a versatile model):
        the band above would be thrown away. A target above its output rate is not refused: its
        output is resampled to it (:func:`srlib.api.upsample`), so a 44.1 kHz model makes 48 kHz
        files whose band above 22.05 kHz is empty, as it is in any 44.1 kHz recording.
        """
        top = self.input_rates_hz[1] if self.input_rates_hz else self.low_sr_hz
        if sr_hz > top:
            return (f"model {self.name} takes {self.rates_text} input and makes {self.sr_hz} Hz; your input is "
                    f"{sr_hz} Hz, so its band above {top // 2} Hz would be thrown away. Use --model sinc or spline, "
                    f"or a model trained for {sr_hz} Hz input (srlib info lists the shipped ones)")
        return None

    def serves(self, sr_hz: int, target_sr_hz: int) -> bool:
        """Whether the model can take ``sr_hz`` input to ``target_sr_hz`` without throwing band away.

        It can where it takes the rates at all (:meth:`refusal`) and the target is at least twice
        the input (below that, sinc is as good). A versatile model serves any input rate up to
        its range's top, into any higher target (resampled from its output rate where that differs).
        """
        if self.refusal(sr_hz, target_sr_hz):
            return False
        return sr_hz < target_sr_hz if self.input_rates_hz else 2 * sr_hz <= target_sr_hz

    @property
    def content(self) -> str:
        """``"music"`` for a model trained on a music corpus (``music``, ``recorded-music``,
        ``magnatagatune:...``), else ``"speech"``."""
        corpus = str(self.train.get("corpus", ""))
        return "music" if "music" in corpus or "magnatagatune" in corpus else "speech"

    def history(self, *keys: str) -> dict:
        """Per-epoch values of ``log.csv`` columns: ``{key: [float, ...]}``."""
        return {k: [row[k] for row in self.log if k in row] for k in keys}

    def score(self, metric: str, method: str | None = None) -> float | None:
        """Test-split mean of ``metric`` for ``method`` (default: the model itself), or None."""
        summary = (self.metrics or {}).get("summary", {})
        return summary.get(method or self.kind, {}).get(metric, {}).get("mean")

    def summary_line(self) -> str:
        """One line for ``srlib info``: rates, size, corpus and test scores against the spline."""
        rates = self.input_rates_hz
        ratio = f"ratios {self.sr_hz / rates[1]:.2g}-{self.ratio}" if rates else f"ratio {self.ratio}"
        line = (f"model {self.name}: {self.rates_text} -> {self.sr_hz} Hz ({ratio}), "
                f"{self.config.get('n_params', '?')} parameters, trained on {self.train.get('corpus', '?')}")
        if self.score("snr_db") is not None:
            line += (f"; test SNR {self.score('snr_db'):.2f} dB (spline {self.score('snr_db', 'spline'):.2f}), "
                     f"LSD {self.score('lsd'):.2f} (spline {self.score('lsd', 'spline'):.2f})")
        return line

    def describe(self) -> str:
        """A few lines on how the model was made: kind, rates, size, data, epochs, speed, command."""
        c, t = self.config, self.train
        lines = [f"{self.name}: {self.kind}, {self.rates_text} -> {self.sr_hz} Hz, "
                 f"{c.get('n_params', 0):,} parameters"]
        if t:
            init = f", started from {c['init']}" if c.get("init") else ""
            lines.append(f"  trained on {t['corpus']} ({c.get('n_train_patches', '?')} patches of {t['patch_len']} "
                         f"samples), {t['epochs']} epochs{init}, {c.get('train_audio_s_per_s', '?')} s of audio per "
                         "second on 2 CPU cores")
        if "lineage" in c:  # a folder from before lineages would have it derived from its corpus: not for a card
            lines.append(f"  trained and validated on {self.lineage.text()}: never scored on these")
        if c.get("calibration"):  # the kind knows what its calibration tuned
            lines.append("  " + get_kind(self.kind).calibration_text(c["calibration"]))
        if self.command:
            lines.append("  command: " + self.command)
        return "\n".join(lines)


def csv_rows(path) -> list:
    r"""The rows of a run's CSV file (:data:`LOG_NAME`, :data:`srlib.callbacks.EPOCHS_NAME`) as dicts of floats.

    A cell that is not a number (empty, text, cut short by a stopped writer) is left out of its row,
    blank lines are skipped, and cells past the header's columns dropped; [] without a file.

    >>> import tempfile; folder = tempfile.TemporaryDirectory(); path = Path(folder.name) / "log.csv"
    >>> _ = path.write_text("epoch,loss,when\n0,2.5,today\n\n1,2.0e-,x,y\n")
    >>> csv_rows(path)
    [{'epoch': 0.0, 'loss': 2.5}, {'epoch': 1.0}]
    >>> folder.cleanup()
    """
    path = Path(path)
    if not path.exists():
        return []
    rows = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            cells = {}
            for key, value in row.items():
                if key is None or value is None:  # a line longer or shorter than the header
                    continue
                try:
                    cells[key] = float(value)
                except ValueError:
                    continue
            rows.append(cells)
    return rows
