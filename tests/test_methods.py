"""srlib.methods: lowres, a baseline and a trained model answer the same calls."""

import numpy as np
import pytest

from srlib.errors import AudioError
from srlib.methods import Baseline, Lowres, TrainedModel, get_method


def test_each_name_is_one_kind_of_method():
    assert isinstance(get_method("lowres"), Lowres)
    assert isinstance(get_method("spline"), Baseline) and not get_method("spline").learned
    model = get_method("frame")  # an alias of a shipped model
    assert isinstance(model, TrainedModel) and model.learned and model.card.kind == "frame"
    with pytest.raises(AudioError, match="neither a shipped model"):
        get_method("no-such-method")


def test_a_baseline_serves_any_higher_rate_and_resamples_to_the_target(sine):
    sinc = get_method("sinc")
    assert sinc.serves(8000, 16000) and sinc.serves(16000, 44100) and not sinc.serves(16000, 16000)
    y = sinc.upsample(sine(440.0, 16000), 16000, 44100)
    assert y.shape == (44100,) and sinc.label(44100) == "sinc"
    with pytest.raises(AudioError, match="not above the input rate"):
        sinc.upsample(sine(), 16000, 8000)
    assert get_method("sinc").lineage is None


def test_lowres_is_an_evaluation_floor_not_an_upsampler(sine):
    lowres = get_method("lowres")
    assert not lowres.serves(4000, 16000)
    with pytest.raises(AudioError, match="floor"):
        lowres.upsample(sine(), 4000, 16000)


def test_a_trained_model_asks_its_card_and_names_a_resampled_output(sine):
    model = get_method("frame-speech-16k-4to12k")
    assert model.serves(8000, 16000) and model.refusal(16000, 44100) is not None  # above its input rates
    assert model.label(16000) == "frame-speech-16k-4to12k"
    assert model.label(22050) == "frame-speech-16k-4to12k, its 16000 Hz output resampled to 22050 Hz"
    y = model.upsample(sine(440.0, 8000), 8000, 16000)
    assert y.shape == (16000,) and np.isfinite(y).all()
    assert "klettres" in model.lineage.train
