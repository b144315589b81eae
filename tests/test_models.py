import json

import numpy as np
import pytest

from srlib import AudioError, ConfigError
from srlib.data.pairs import Pairs
from srlib.errors import TrainingError
from srlib.models.unet import PRESETS, SubPixel1D, build_unet, pad_length, receptive_field

keras = pytest.importorskip("keras")


def _perturbed(model, seed=0, scale=0.05):
    rng = np.random.default_rng(seed)
    model.set_weights([w + scale * rng.standard_normal(w.shape).astype(w.dtype) for w in model.get_weights()])
    return model


def test_subpixel_inverts_its_reshape():
    x = np.random.default_rng(0).standard_normal((2, 5, 6)).astype("float32")
    y = np.asarray(SubPixel1D(2)(x))
    assert y.shape == (2, 10, 3)
    # space-to-depth, the inverse reshape, gives the input back exactly
    np.testing.assert_array_equal(y.reshape(2, 5, 6), x)
    # and the documented index map: output step w*r+i, channel c <- input step w, channel i*C+c
    assert y[1, 2 * 3 + 1, 2] == x[1, 3, 1 * 3 + 2]


@pytest.mark.parametrize("preset", ["tiny", "small"])
def test_shapes_and_zero_init_residual(preset):
    model = build_unet(preset)
    n = pad_length(3000, PRESETS[preset].multiple)
    x = np.random.default_rng(1).standard_normal((2, n, 1)).astype("float32")
    y = np.asarray(model(x, training=False))
    assert y.shape == x.shape
    np.testing.assert_array_equal(y, x)  # untrained: the output is its spline input


def test_a_runs_arch_replaces_the_presets_fields():
    from dataclasses import replace

    from srlib.models.registry import get_kind
    from srlib.models.train_config import TrainConfig

    unet = get_kind("unet")
    assert unet.architecture(TrainConfig(preset="small")) == PRESETS["small"]
    arch = unet.architecture(TrainConfig(preset="small", arch={"filters": [32, 48, 64, 64], "kernels": [65, 33, 17, 9]}))
    assert arch.filters == (32, 48, 64, 64) and arch.kernels == (65, 33, 17, 9)
    assert arch.dropout == PRESETS["small"].dropout
    assert get_kind("tfilm").architecture(replace(TrainConfig(preset="tiny"), arch={"kernels": [5, 5]})).film == "lstm"
    assert get_kind("tfilm").architecture(TrainConfig(preset="tiny", arch={"film_block": 512})).film_block == 512
    with pytest.raises(ConfigError, match="no field channels"):
        unet.architecture(TrainConfig(preset="small", arch={"channels": 96}))
    with pytest.raises(ConfigError, match="one kernel for each"):  # four blocks' filters, the preset's five kernels
        unet.architecture(TrainConfig(preset="small", arch={"filters": [32, 48, 64, 64]}))
    with pytest.raises(ConfigError, match="arch"):
        unet.architecture(TrainConfig(preset="small", arch={"filters": 32}))


def test_receptive_field_is_finite_and_below_reach():
    from srlib.models.unet import reach

    model = build_unet("tiny")
    rf = receptive_field(model)
    assert 20 < rf <= 2 * reach(PRESETS["tiny"]) + 1


def _model_dir(tmp_path, preset="tiny", ratio=4, sr_hz=16000, seed=0):
    model = _perturbed(build_unet(preset), seed)
    d = tmp_path / f"model-{preset}-{ratio}"
    d.mkdir()
    model.save_weights(str(d / "model.weights.h5"))
    cfg = {"kind": "unet", "sr_hz": sr_hz, "ratio": ratio, "unet": PRESETS[preset].to_dict(), "n_params": 1,
           "train": {"corpus": "speech", "filter": "cheby1"}}
    (d / "config.json").write_text(json.dumps(cfg))
    return d


@pytest.mark.parametrize("ratio", [2, 3, 4, 6, 8])
def test_upsample_lr_shapes_for_every_ratio(tmp_path, ratio):
    from srlib.inference import SRModel

    m = SRModel(_model_dir(tmp_path, ratio=ratio, sr_hz=4000 * ratio))
    for n in (7, 1000, 4321):
        assert m.upsample_lr(np.random.default_rng(n).standard_normal(n).astype("float32") * 0.1).shape == (n * ratio,)


def test_chunked_equals_whole_and_has_no_seams(tmp_path):
    from srlib.inference import SRModel

    m = SRModel(_model_dir(tmp_path, "small"))
    rng = np.random.default_rng(0)
    t = np.arange(40000) / 16000
    x = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(len(t))).astype("float32")
    whole = m.refine(x, chunk_len=10**9)
    chunk_len = 4096
    chunked = m.refine(x, chunk_len=chunk_len, batch=3)
    # exact up to float rounding (a ragged, zero-padded batch once made the file end differ by 1e-3)
    assert np.sqrt(np.mean((whole - chunked) ** 2)) <= 1e-5 * np.sqrt(np.mean(whole**2))
    # no level dip at any seam: the local RMS around each seam matches whole-file processing
    for s in range(chunk_len, len(x), chunk_len):
        a, b = whole[s - 128: s + 128], chunked[s - 128: s + 128]
        assert abs(np.sqrt(np.mean(b**2)) / np.sqrt(np.mean(a**2)) - 1) < 1e-3


def _config(**kw):
    from srlib.train import TrainConfig

    return TrainConfig(preset="tiny", patch_len=1024, stride=1024, batch_size=8, epochs=2, **kw)


def test_training_is_seeded_and_writes_its_files(tmp_path, synthetic_pairs):
    from srlib.train import train

    data = (synthetic_pairs(48), synthetic_pairs(16, seed=1))
    m1, h1 = train(_config(), tmp_path / "a", verbose=0, evaluate=False, pairs=data)
    m2, h2 = train(_config(), tmp_path / "b", verbose=0, evaluate=False, pairs=data)
    assert h1["loss"] == h2["loss"]
    for w1, w2 in zip(m1.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(w1, w2)
    assert {p.name for p in (tmp_path / "a").iterdir()} >= {"config.json", "command.txt", "log.csv", "model.weights.h5", "tensorboard"}
    assert list((tmp_path / "a" / "tensorboard").rglob("events.out.tfevents.*"))
    assert h1["loss"][-1] < h1["loss"][0]
    with pytest.raises(ConfigError, match="already holds"):
        train(_config(), tmp_path / "a", verbose=0, evaluate=False, pairs=data)


def test_nan_guard_fires_on_a_poisoned_batch(tmp_path, synthetic_pairs):
    from srlib.train import train

    with pytest.raises(TrainingError, match="loss became nan at epoch 1"):
        train(_config(), tmp_path / "n", verbose=0, evaluate=False, pairs=(synthetic_pairs(48, poison=True), synthetic_pairs(16, seed=1)))


def test_resume_after_interrupt(tmp_path, monkeypatch, synthetic_pairs):
    import keras

    from srlib import callbacks as callbacks_mod
    from srlib import train as train_mod

    data = (synthetic_pairs(48), synthetic_pairs(16, seed=1))
    class Kill(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    real_guard = callbacks_mod.NaNGuard
    monkeypatch.setattr(callbacks_mod, "NaNGuard", lambda: Kill())
    cfg = _config().__class__(**{**_config().__dict__, "epochs": 4})
    with pytest.raises(KeyboardInterrupt):
        train_mod.train(cfg, tmp_path / "r", verbose=0, evaluate=False, pairs=data)
    assert (tmp_path / "r" / "backup").exists()
    monkeypatch.setattr(callbacks_mod, "NaNGuard", real_guard)
    log = tmp_path / "r" / "log.csv"
    assert train_mod._best_logged(log, "val_loss") is not None and (tmp_path / "r" / "best.weights.h5").exists()
    # an earlier sitting that did better than this one will: no epoch of the next may replace its checkpoint
    header, first, *rest = log.read_text().splitlines()
    cells = first.split(",")
    cells[header.split(",").index("val_loss")] = "1e-06"
    log.write_text("\n".join([header, ",".join(cells), *rest]) + "\n")
    best = train_mod._best_logged(log, "val_loss")
    assert best == 1e-06
    checkpoint = tmp_path / "r" / "best.weights.h5"
    seen = {"best": best, "stamp": checkpoint.stat().st_mtime_ns, "epochs": []}

    class Saves(keras.callbacks.Callback):  # runs after ModelCheckpoint: did it rewrite, and should it have?
        def on_epoch_end(self, epoch, logs=None):
            stamp = checkpoint.stat().st_mtime_ns
            better = logs["val_loss"] < seen["best"]
            seen["epochs"].append((better, stamp != seen["stamp"]))
            seen["stamp"], seen["best"] = stamp, min(seen["best"], logs["val_loss"])

    _, hist = train_mod.train(cfg, tmp_path / "r", verbose=0, evaluate=False, pairs=data, callbacks=[Saves()])
    assert len(hist["loss"]) == 2  # epochs 3 and 4 only: it resumed after the 2 finished ones
    epochs = [int(line.split(",")[0]) for line in (tmp_path / "r" / "log.csv").read_text().splitlines()[1:] if line[0].isdigit()]
    assert epochs[-2:] == [2, 3]
    assert seen["epochs"] == [(False, False), (False, False)]
    # every sitting's epochs in one clock, and in the card's training time
    clocked = (tmp_path / "r" / "epochs.csv").read_text().splitlines()
    assert clocked[0] == "epoch,seconds,finished" and [int(line.split(",")[0]) for line in clocked[1:]] == [0, 1, 2, 3]
    n, seconds = callbacks_mod.training_seconds(tmp_path / "r" / "epochs.csv")
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    assert n == 4 and config["train_seconds"] == round(seconds, 1)


def test_a_run_started_again_after_the_nan_guard_keeps_nothing_of_the_failed_attempt(tmp_path, synthetic_pairs):
    from srlib.callbacks import training_seconds
    from srlib.train import train

    out, good = tmp_path / "n", (synthetic_pairs(48), synthetic_pairs(16, seed=1))
    with pytest.raises(TrainingError):
        train(_config(), out, verbose=0, evaluate=False, pairs=(synthetic_pairs(48, poison=True), good[1]))
    assert not (out / "backup").exists()  # Keras removed it when the guard stopped the run
    # what an attempt that went further would leave: a better logged loss, its checkpoint and its epochs' times
    (out / "log.csv").write_text("epoch,loss,val_loss\n0,1.0,1e-06\n")
    (out / "best.weights.h5").write_bytes(b"not the weights of this run")
    (out / "epochs.csv").write_text("epoch,seconds,finished\n0,100.0,x\n1,100.0,x\n2,100.0,x\n")
    train(_config(), out, verbose=0, evaluate=False, pairs=good)  # its own best, loaded at the end
    assert training_seconds(out / "epochs.csv")[0] == 2  # this attempt's two epochs only


def test_training_seconds_counts_an_epoch_once_and_skips_what_is_not_a_time(tmp_path):
    from srlib.callbacks import training_seconds

    clock = tmp_path / "epochs.csv"
    assert training_seconds(clock) == (0, 0.0)
    clock.write_text("epoch,seconds,finished\n0,10.0,a\n1,12.0,b\n\n1,11.5,c\n2,\n")  # epoch 1 ran twice
    assert training_seconds(clock) == (2, 21.5)


def test_best_logged_reads_the_least_finite_value(tmp_path):
    from srlib.train import _best_logged

    log = tmp_path / "log.csv"
    assert _best_logged(log, "val_loss") is None
    log.write_text("epoch,loss,val_loss\n0,3.0,2.5\n1,2.0,nan\n2,1.5,2.25\n")
    assert _best_logged(log, "val_loss") == 2.25
    assert _best_logged(log, "val_mag") is None


def test_a_cosine_schedule_steps_down_per_epoch_and_resumes_on_its_curve(tmp_path, synthetic_pairs):
    from dataclasses import replace

    from srlib.callbacks import CosineSteps
    from srlib.errors import ConfigError
    from srlib.train import train

    data = (synthetic_pairs(16), synthetic_pairs(8, seed=1))
    seen = []

    class Record(__import__("keras").callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(float(self.model.optimizer.learning_rate))

    cfg = replace(_config(), epochs=3, learning_rate=1e-3, lr_schedule="cosine")
    train(cfg, tmp_path / "c", verbose=0, evaluate=False, pairs=data, callbacks=[Record()])
    steps = CosineSteps(3, {})
    assert np.allclose(seen, [1e-3 * steps.factor(e) for e in range(3)], rtol=1e-5)
    assert steps.factor(0) == 1.0 and abs(CosineSteps(54, {}).factor(53) - 0.1) < 1e-3
    with pytest.raises(ConfigError, match="lr_schedule"):
        train(replace(cfg, lr_schedule="step"), tmp_path / "d", verbose=0, evaluate=False, pairs=data)
    for count in (0, 4):
        with pytest.raises(ConfigError, match="loss_resolutions"):
            train(replace(cfg, loss_resolutions=count), tmp_path / "e", verbose=0, evaluate=False, pairs=data)


def test_model_on_stereo_and_odd_rates(tmp_path):
    import soundfile as sf

    from srlib import load, upsample_file

    d = _model_dir(tmp_path, "tiny")
    t = np.arange(3 * 3000) / 3000
    x = np.stack([0.3 * np.sin(2 * np.pi * 200 * t), 0.3 * np.sin(2 * np.pi * 300 * t)])
    sf.write(tmp_path / "in.wav", x.T, 3000)  # 3 kHz: below the model's 4 kHz input, resampled up
    upsample_file(tmp_path / "in.wav", tmp_path / "out.wav", target_sr_hz=16000, method=str(d))
    y, sr = load(tmp_path / "out.wav", mono=False)
    assert sr == 16000 and y.shape == (2, 3 * 16000)
    sf.write(tmp_path / "hi.wav", x.T, 8000)
    with pytest.raises(AudioError, match="takes 4000 Hz input"):
        upsample_file(tmp_path / "hi.wav", tmp_path / "o2.wav", ratio=2, method=str(d))
    assert not (tmp_path / "o2.wav").exists()


def test_stft_loss_is_zero_for_equal_and_grows_with_lost_band():
    from srlib.degrade import make_lowres
    from srlib.losses import make_loss, stft_loss

    x = np.random.default_rng(0).standard_normal((2, 4096)).astype("float32") * 0.1
    assert float(stft_loss(x, x)) < 1e-3
    mild = np.stack([make_lowres(v, 2, keep_rate=True) for v in x])
    harsh = np.stack([make_lowres(v, 8, keep_rate=True) for v in x])
    assert float(stft_loss(x, harsh)) > float(stft_loss(x, mild)) > 0.1
    combined = make_loss(1.0, 0.5)
    assert float(combined(x[..., None], mild[..., None])) > float(make_loss(1.0, 0.0)(x[..., None], mild[..., None]))


def test_stft_loss_takes_a_resolution_the_caller_already_has():
    # the frame model's loss hands over its own 512/128 STFT: the same number, one STFT pair fewer
    from keras import ops

    from srlib.degrade import make_lowres
    from srlib.losses import magnitude, stft_loss

    x = np.random.default_rng(1).standard_normal((2, 4096)).astype("float32") * 0.1
    y = np.stack([make_lowres(v, 4, keep_rate=True) for v in x])
    spec = [magnitude(*ops.stft(v, sequence_length=512, sequence_stride=128, fft_length=512, window="hann",
                                center=True)) for v in (x, y)]
    assert float(stft_loss(x, y, known={(512, 128): tuple(spec)})) == pytest.approx(float(stft_loss(x, y)), rel=1e-5)
    assert float(stft_loss(x, y, known={(512, 128): (spec[0], spec[0])})) < float(stft_loss(x, y))  # it is used


def test_shipped_unet_beats_spline_on_held_out_speech():
    from srlib.data import default_corpus
    from srlib.evaluate import evaluate_clips, summarize
    from srlib.inference import load_model, shipped_models

    assert "unet-speech-16k-r4" in shipped_models()
    m = load_model("unet")
    assert (m.sr_hz, m.ratio) == (16000, 4)
    corpus = default_corpus("speech", quick=True)
    clips = [(c.path, corpus.load(c, 16000)) for c in corpus.split("test")[:8]]
    s = summarize(evaluate_clips(clips, 16000, 4, ["spline", "unet"], models={"unet": m.upsample_lr}))
    assert s["unet"]["lsd"]["mean"] < 0.7 * s["spline"]["lsd"]["mean"]
    assert s["unet"]["snr_db"]["mean"] > s["spline"]["snr_db"]["mean"] - 0.5


def test_shipped_music_unet_beats_spline_on_a_held_out_piece():
    from srlib.data import default_corpus
    from srlib.evaluate import evaluate_clips, summarize
    from srlib.inference import load_model

    m = load_model("unet-music-44k-r4")
    assert (m.sr_hz, m.ratio) == (44100, 4)
    music = default_corpus("music", quick=True)
    clip = music.split("test")[0]
    x = music.load(clip, 44100)[: 4 * 44100]
    s = summarize(evaluate_clips([(clip.path, x)], 44100, 4, ["spline", "unet"], models={"unet": m.upsample_lr}))
    assert s["unet"]["lsd"]["mean"] < 0.6 * s["spline"]["lsd"]["mean"]
    assert s["unet"]["snr_db"]["mean"] > s["spline"]["snr_db"]["mean"] - 1.0
