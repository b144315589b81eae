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


def test_what_a_session_holds_is_a_method_too(sine):
    from srlib.inference import load_model
    from srlib.lineage import Lineage
    from srlib.methods import Function, Loaded

    doubled = Function("mine", lambda x: np.repeat(x, 2), 2, Lineage({"klettres": ("de",)}))
    assert doubled.learned and doubled.lineage.train == {"klettres": ("de",)}
    assert doubled.upsample(np.ones(5, "float32"), 8000, 16000).shape == (10,)
    assert "up-samples by 2 only" in doubled.refusal(4000, 16000)
    with pytest.raises(AudioError, match="up-samples by 2 only"):
        doubled.upsample(np.ones(5, "float32"), 4000, 16000)
    network = load_model("frame")
    bound = Function("bound", network.upsample_lr, 4)
    assert bound.lineage == network.card.lineage  # a bound SRModel method carries its model's card
    loaded = Loaded("in memory", network)
    assert loaded.lineage == network.card.lineage and loaded.refusal(16000, 22050)  # its card's rates
    y = loaded.upsample(sine(440.0, 4000), 4000, 16000)
    assert y.shape == (16000,) and np.allclose(y, get_method("frame").upsample(sine(440.0, 4000), 4000, 16000))


def test_one_recipe_scores_every_method_on_every_case(sine):
    from srlib.evaluate import as_methods, cases_at_rates, evaluate_clips, evaluate_input_rates, score_cases

    clips = [("a", sine(440.0, 16000)), ("b", 0.5 * sine(880.0, 16000))]
    cases = cases_at_rates(clips, 16000, (4000, 6000))
    assert [(c.clip, c.rate_hz, len(c.x_lr)) for c in cases] == [("a", 4000, 4000), ("a", 6000, 6000),
                                                                  ("b", 4000, 4000), ("b", 6000, 6000)]
    methods = as_methods(["lowres", "sinc"], models={"x2": lambda x: np.repeat(x, 2)}, ratio=2)
    methods |= as_methods(["x2"], models={"x2": lambda x: np.repeat(x, 2)}, ratio=4)
    rows = score_cases(cases, methods, 16000)
    # lowres and sinc at each case; the x4 function only where the rate is 4 kHz
    assert [(r["clip"], r["rate_hz"], r["method"]) for r in rows] == [
        ("a", 4000, "lowres"), ("a", 4000, "sinc"), ("a", 4000, "x2"), ("a", 6000, "lowres"), ("a", 6000, "sinc"),
        ("b", 4000, "lowres"), ("b", 4000, "sinc"), ("b", 4000, "x2"), ("b", 6000, "lowres"), ("b", 6000, "sinc")]
    # the two front doors are this recipe: at an integer ratio the clips are decimated as training pairs are
    assert evaluate_input_rates(clips, 16000, (4000, 6000), ("lowres", "sinc")) == [r for r in rows if r["method"] != "x2"]
    at_4 = evaluate_clips(clips, 16000, 4, ["sinc"])
    assert at_4 == score_cases(cases_at_rates(clips, 16000, (4000,), decimate=True), as_methods(["sinc"]), 16000)
    refusal = get_method("frame-speech-16k-r4").refusal(8000, 16000)
    with pytest.raises(AudioError, match=refusal[:30]):  # named at a ratio it cannot take: an error, not a gap
        evaluate_clips(clips, 16000, 2, ["sinc", "frame-speech-16k-r4"])
