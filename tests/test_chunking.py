"""Chunked inference as a pure function: exact where the margin covers the reach, seamless where it does not."""

import numpy as np
import pytest

from srlib.chunking import overlap_add, pad_length


def _smoother(reach: int):
    """A network stand-in of known one-sided reach: a moving average over 2 reach + 1 samples."""
    kernel = np.ones(2 * reach + 1, np.float32) / (2 * reach + 1)

    def run(windows):
        assert windows.ndim == 2 and windows.dtype == np.float32
        return np.stack([np.convolve(w, kernel, mode="same") for w in windows])

    return run


def test_pad_length():
    assert [pad_length(n, 64) for n in (1, 64, 65, 128)] == [64, 64, 128, 128]


@pytest.mark.parametrize("n", [100, 5000, 40_001])
def test_margin_at_least_the_reach_gives_the_whole_signal_result(n):
    x = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    run = _smoother(50)
    whole = run(np.pad(x, (0, pad_length(n, 64) - n))[None])[0, :n]
    chunked = overlap_add(run, x, multiple=64, margin=64, chunk_len=1000, fade=32, batch=3)
    assert chunked.shape == (n,) and chunked.dtype == np.float32
    # the end of the signal sees the padded zeros in both cases
    np.testing.assert_allclose(chunked, whole, atol=1e-5)


@pytest.mark.parametrize("tail", [1, 15, 16, 31, 32, 33, 500])
def test_a_last_piece_shorter_than_a_fade_joins_the_chunk_before(tail):
    # chunk_len 1024 (already on the grid), fade 32: a signal 3 chunks plus a few samples long
    n = 3 * 1024 + tail
    x = np.random.default_rng(1).standard_normal(n).astype(np.float32)
    run = _smoother(50)
    whole = run(np.pad(x, (0, pad_length(n, 64) - n))[None])[0, :n]
    chunked = overlap_add(run, x, multiple=64, margin=64, chunk_len=1024, fade=32, batch=2)
    np.testing.assert_allclose(chunked, whole, atol=1e-5)


def test_a_too_short_margin_is_cross_faded_without_clicks():
    x = np.sin(2 * np.pi * 5 * np.arange(20_000) / 20_000).astype(np.float32)
    y = overlap_add(_smoother(200), x, multiple=16, margin=32, chunk_len=2048, fade=32)
    assert np.abs(np.diff(y[300:-300])).max() < 5 * np.abs(np.diff(x)).max()


def test_windows_share_one_width_per_call():
    widths = []

    def run(windows):
        widths.append(windows.shape[1])
        return windows

    x = np.ones(10_000, np.float32)
    np.testing.assert_array_equal(overlap_add(run, x, multiple=32, margin=64, chunk_len=1024, batch=4), x)
    assert all(w % 32 == 0 for w in widths) and len(widths) >= 3
