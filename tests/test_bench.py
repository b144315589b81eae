import math

import pytest

pytest.importorskip("keras")


def test_bench_measures_every_method_at_both_rates():
    from srlib.bench import inference_rtf, spectral_train_throughput

    rtf = inference_rtf(duration_s=1.0)
    assert set(rtf) == {16000, 44100}
    for row in rtf.values():
        assert set(row) == {"linear", "spline", "sinc", "unet", "gan", "spectral", "spectral-gan"}
        assert all(math.isfinite(v) and v > 0 for v in row.values())
    assert spectral_train_throughput(patch_len=4096, batch=2, steps=1) > 0
