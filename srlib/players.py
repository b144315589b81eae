"""Audio players for notebooks: one shared gain per comparison, one playback rate.

Browsers normalise each ``<audio>`` clip unless told not to, which makes a
muffled clip sound as loud as the original and hides exactly the differences a
listener should hear. Every player here uses ``normalize=False`` and one gain
for all the clips of a comparison, chosen so the loudest peak is at -1 dBFS.
Clips at a lower rate are resampled with soxr to the comparison's common rate,
so the browser plays every clip of a comparison the same way.

The clips are embedded in the page as Ogg Vorbis at quality 0.8 (libsndfile
compression level :data:`VORBIS_LEVEL` = 0.2), measured at 122 kbit/s on 44.1 kHz mono
music and 71 kbit/s on 16 kHz speech: three to six times lighter than the 16-bit WAV
the players embedded before, so chapter pages stay near or under 2 MB. Listening tests
commonly find Vorbis transparent from quality 0.5 on (about 160 kbit/s for stereo, so
well under that for mono), so the differences a comparison plays are the methods', not
the codec's.
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import soundfile as sf

from .audio import resample, validate_audio

__all__ = ["shared_gain", "player", "comparison", "listening_room", "Player", "VORBIS_LEVEL"]

#: libsndfile's compression level for Vorbis (0 best, 1 smallest): 0.2 is Vorbis quality 0.8.
VORBIS_LEVEL = 0.2


def shared_gain(signals, peak: float = 10 ** (-1 / 20)) -> float:
    """Gain that puts the loudest peak of all ``signals`` at ``peak`` (linear).

    Examples
    --------
    >>> shared_gain([np.array([0.5]), np.array([-0.25])], peak=1.0)
    2.0
    """
    top = max(float(np.max(np.abs(validate_audio(s)))) for s in signals)
    return peak / top if top > 0 else 1.0


class Player:
    """One ``<audio>`` player with its clip embedded as Ogg Vorbis (a data URI): one self-contained page.

    Attributes
    ----------
    data : bytes
        The encoded Ogg Vorbis file.
    sr_hz : int
        Its rate in Hz.
    """

    def __init__(self, data: bytes, sr_hz: int):
        self.data, self.sr_hz = data, int(sr_hz)

    def _repr_html_(self) -> str:
        src = base64.b64encode(self.data).decode("ascii")
        return (f'<audio controls="controls" preload="metadata"><source src="data:audio/ogg;base64,{src}" '
                'type="audio/ogg" />Your browser does not support the audio element.</audio>')


def player(x, sr_hz: int, gain: float = 1.0) -> Player:
    """A player of ``x`` with a fixed gain (no normalisation), embedded as Ogg Vorbis.

    Parameters
    ----------
    x : float array, shape (n_samples,) or (n_channels, n_samples)
    sr_hz : int
        Playback rate in Hz.
    gain : float
        Linear gain applied before clipping to [-1, 1].

    Returns
    -------
    Player (displays as an ``<audio>`` element in JupyterLab and in the book).
    """
    y = np.clip(validate_audio(x) * gain, -1.0, 1.0)
    buf = io.BytesIO()
    sf.write(buf, y.T if y.ndim > 1 else y, int(sr_hz), format="OGG", subtype="VORBIS", compression_level=VORBIS_LEVEL)
    return Player(buf.getvalue(), sr_hz)


def comparison(signals: dict, sr_hz: int | dict, *, play_sr_hz: int | None = None):
    """Players for several versions of one clip, with one gain and one rate.

    Parameters
    ----------
    signals : dict of name -> float array, shape (n_samples,)
    sr_hz : int or dict of name -> int
        The rate of each signal.
    play_sr_hz : int, optional
        Common playback rate; default the highest of the rates.

    Returns
    -------
    IPython.display.HTML: a row of labelled ``<audio>`` players (plain HTML, so
    it plays in the static book as well as in JupyterLab).
    """
    from IPython.display import HTML

    rates = {k: (sr_hz[k] if isinstance(sr_hz, dict) else sr_hz) for k in signals}
    play_sr = play_sr_hz or max(rates.values())
    clips = {k: resample(v, rates[k], play_sr) if rates[k] != play_sr else validate_audio(v) for k, v in signals.items()}
    gain = shared_gain(list(clips.values()))
    cells = "".join(
        f'<div style="display:inline-block;margin-right:1em"><b>{html.escape(str(name))}</b><br>{player(v, play_sr, gain)._repr_html_()}</div>'
        for name, v in clips.items()
    )
    return HTML(f'<div class="srlib-comparison">{cells}</div>')


def listening_room(versions, sr_hz: int, *, names=(), reference: str | None = None, show=None):
    """Controls that choose a version, and a player (with whatever ``show`` draws) that follows.

    Parameters
    ----------
    versions : dict
        Nested dicts ``{choice_1: {choice_2: ... {label: signal}}}``: one row of toggle buttons per
        level (a dropdown where a level has more than six options), the signal at the end.
    sr_hz : int
        Rate of every signal in Hz.
    names : sequence of str
        A description for each row of controls (e.g. ``("level", "method")``).
    reference : str, optional
        A label of the last level played beside the chosen one (e.g. the original), at the same gain.
    show : callable, optional
        ``show(label, signal)`` called before the players (e.g. a spectrogram).

    Returns
    -------
    ipywidgets.VBox: the controls and an output area. In JupyterLab the output follows the
    controls; in the static book nothing runs behind them, so a chapter shows its versions
    below the room as well.
    """
    import ipywidgets as widgets
    from IPython.display import display

    levels, node = [], versions
    while isinstance(node, dict) and node and isinstance(next(iter(node.values())), dict):
        levels.append(list(node))
        node = next(iter(node.values()))
    labels = list(node)
    names = list(names) + [""] * (len(levels) + 1 - len(names))
    controls = [(widgets.Dropdown if len(opts) > 6 else widgets.ToggleButtons)(options=opts, description=name)
                for opts, name in zip([*levels, labels], names)]
    out = widgets.Output()

    def update(*_):
        node = versions
        for c in controls[:-1]:
            node = node[c.value]
        label = controls[-1].value
        out.clear_output(wait=True)
        with out:
            if show is not None:
                show(label, node[label])
            shown = {label: node[label]}
            if reference is not None and reference != label:
                shown[reference] = node[reference]
            display(comparison(shown, sr_hz))

    for c in controls:
        c.observe(update, "value")
    update()
    return widgets.VBox([*controls, out])
