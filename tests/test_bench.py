import math

import pytest

pytest.importorskip("keras")


def test_bench_measures_every_kind_at_both_rates():
    from srlib.bench import inference_rtf, train_throughput
    from srlib.models.card import ModelCard, shipped_models
    from srlib.models.registry import kind_names

    rtf = inference_rtf(duration_s=1.0)
    assert set(rtf) == {16000, 44100} and "frame/keras" in rtf[16000]
    versatile = {p.name: ModelCard.read(p).sr_hz for p in shipped_models().values() if ModelCard.read(p).input_rates_hz}
    for sr_hz, row in rtf.items():
        # a kind timed in its light runtime is timed in Keras too, as "<kind>/keras"; a versatile model by its name
        also = {f"{k}/keras" for k in kind_names()} | {name for name, rate in versatile.items() if rate == sr_hz}
        assert set(row) - also == {"linear", "spline", "sinc", *kind_names()}
        assert {name for name, rate in versatile.items() if rate == sr_hz} <= set(row)
        assert all(math.isfinite(v) and v > 0 for v in row.values())
    speeds = train_throughput(patch_len=4096, batch=2, steps=1)
    assert set(speeds) == set(kind_names()) and all(v > 0 for v in speeds.values())


def test_train_throughput_times_the_architecture_it_is_given(monkeypatch):
    import srlib.bench as bench

    from srlib import ConfigError

    class Stop(Exception):
        pass

    seen = []

    def prepare(config, *pairs):  # what the bench would train, then stop: not a timing test
        seen.append(config.arch)
        raise Stop

    monkeypatch.setattr(bench, "prepare", prepare)
    with pytest.raises(Stop):
        bench.train_throughput(["frame"], patch_len=4096, batch=2, steps=2, arch={"channels": 96, "blocks": 6})
    assert seen == [{"channels": 96, "blocks": 6}]
    with pytest.raises(ConfigError, match="one kind"):  # the fields of one kind's architecture
        bench.train_throughput(["frame", "unet"], arch={"channels": 96})
