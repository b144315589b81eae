"""A model's lineage and the evaluation's refusal to score a model on its own training data."""

import json

import numpy as np
import pytest

from srlib.data import Clip, Corpus
from srlib.data.embedded import SPEECH_TEST_LANGUAGES
from srlib.lineage import Lineage, OverlapError, check_overlap, clip_origin, record_evaluation
from srlib.models.card import ModelCard, shipped_models


def test_groups_are_named_within_their_source():
    assert clip_origin(Clip("a.flac", "klettres/en", "train", "klettres")) == ("klettres", "en")
    assert clip_origin(Clip("b.flac", "en", "test", "klettres")) == ("klettres", "en")
    assert clip_origin("some/file.wav") is None


def test_overlap_is_a_source_and_group_seen_in_training_or_validation():
    lineage = Lineage({"klettres": ("af", "en")}, {"klettres": ("nl",)})
    clips = [Clip("1", "en", "test", "klettres"), Clip("2", "nl", "test", "klettres"),
             Clip("3", "de", "test", "klettres"), Clip("4", "ktuberling/en", "test", "ktuberling")]
    assert lineage.overlap(map(clip_origin, clips)) == {"klettres": ["en", "nl"]}
    with pytest.raises(OverlapError, match=r"unet trained on klettres \(en, nl\)"):
        check_overlap({"unet": lineage, "other": Lineage({"vctk": ("p225",)})}, clips)
    assert check_overlap({"unet": lineage}, clips, allow_overlap=True) == {"unet": {"klettres": ["en", "nl"]}}
    assert check_overlap({"unet": lineage}, clips[2:]) == {}
    both = lineage.union(Lineage({"vctk": ("p225",)}, {"klettres": ("it",)}))
    assert both.to_dict() == {"train": {"klettres": ["af", "en"], "vctk": ["p225"]}, "val": {"klettres": ["it", "nl"]}}
    assert Lineage.from_dict(both.to_dict()) == both


def test_the_evaluation_record_says_what_was_scored(tmp_path, monkeypatch):
    log = tmp_path / "evaluations.jsonl"
    monkeypatch.setenv("SRLIB_EVAL_LOG", str(log))
    record_evaluation({"unet": Lineage({"klettres": ("af",)}), "notebook": None},
                      [Clip("1", "de", "test", "klettres"), "own.wav"], {})
    (entry,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert entry == {"methods": {"unet": "klettres (1 group)", "notebook": None}, "unknown_origin": 1,
                     "clips": {"klettres": ["de"]}, "overlap": {}}


def _tested_origins(card):
    """The (source, group) of every clip the model's metrics.json scored (group None where the name says only the
    source: a recorded corpus' test sources are held out whole)."""
    rows = card.metrics["per_clip"]
    if card.train["corpus"] == "speech":  # the letters corpus: its test split is SPEECH_TEST_LANGUAGES
        return {("klettres", lang) for lang in SPEECH_TEST_LANGUAGES}
    if card.train["corpus"] == "music":  # music21 pieces: FILE_KEY.flac, the group is FILE
        return {("music21", r["clip"].rsplit("_", 1)[0]) for r in rows}
    return {(r["clip"].split("/")[0], None) for r in rows}


@pytest.mark.parametrize("name", list(shipped_models()))
def test_every_shipped_model_records_its_lineage_and_was_never_scored_on_it(name):
    card = ModelCard.read(shipped_models()[name])
    lineage = Lineage.from_dict(card.config["lineage"])
    assert lineage.train and lineage == card.lineage
    if card.config.get("init"):  # a fine-tuned model inherits what its start saw
        base = ModelCard.read(shipped_models()[card.config["init"]]).lineage
        assert all(set(g) <= set(lineage.seen[s]) for s, g in base.seen.items())
    if card.train["corpus"] == "recorded-speech":
        assert {"klettres", "fillets-cs", "tuxpaint"} <= set(lineage.train)
    seen = lineage.seen
    for source, group in _tested_origins(card):
        assert group not in seen.get(source, ()) if group else source not in seen, (name, source, group)
    assert "never scored on these" in card.describe()


def _letters_corpus(tmp_path, sine):
    """Two letters clips (source klettres, languages en and de) and a ktuberling one, as files."""
    import soundfile as sf

    clips = []
    for i, (group, source) in enumerate((("en", "klettres"), ("de", "klettres"), ("ktuberling/fr", "ktuberling"))):
        path = tmp_path / f"{i}.wav"
        sf.write(path, sine(440.0 + 100 * i), 16000)
        clips.append(Clip(str(path), group, "test", source))
    return Corpus("letters-fixture", clips)


def test_srlib_evaluate_refuses_a_model_on_its_training_sources(tmp_path, sine, capsys, monkeypatch):
    import srlib.cli
    from srlib.cli import main

    monkeypatch.setattr(srlib.cli, "open_corpus", lambda spec, **kw: _letters_corpus(tmp_path, sine))
    code = main(["evaluate", "--corpus", "speech", "--methods", "spline", "unet-speech-16k-r4", "-q"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert line.startswith("srlib: error:") and "unet-speech-16k-r4 trained on klettres (de, en)" in line
    assert "ktuberling" not in line.split("trained on", 1)[1].split(".")[0]

    assert main(["evaluate", "--corpus", "speech", "--methods", "spline", "unet-speech-16k-r4", "--allow-overlap",
                 "-q"]) == 0
    out = capsys.readouterr().out
    assert "| unet-speech-16k-r4 (trained on this) | 2 |" in out  # klettres: both clips, labelled
    assert "| unet-speech-16k-r4 | 1 |" in out  # ktuberling: held out, scored as it is
    assert main(["evaluate", "--corpus", "speech", "--methods", "spline", "unet-letters-16k-r4", "-q"]) == 0


def test_the_python_evaluation_refuses_too_and_checks_a_models_own_function(tmp_path, sine):
    from srlib.evaluate import evaluate_clips
    from srlib.inference import load_model

    corpus = _letters_corpus(tmp_path, sine)
    data = [(c, np.asarray(corpus.load(c, 16000))) for c in corpus.clips[:1]]
    model = load_model("unet-speech-16k-r4")
    for models in ({"unet": model}, {"unet": model.upsample_lr}):
        with pytest.raises(OverlapError, match="klettres"):
            evaluate_clips(data, 16000, 4, ["spline", "unet"], models=models)
    with pytest.raises(OverlapError):
        evaluate_clips(data, 16000, 4, ["spline", "unet-speech-16k-r4"])
    rows = evaluate_clips(data, 16000, 4, ["spline", "unet"], models={"unet": model}, allow_overlap=True)
    assert [r["method"] for r in rows] == ["spline", "unet (trained on this)"]


def test_a_model_without_a_card_is_checked_against_the_lineage_given(tmp_path, sine):
    from srlib.evaluate import evaluate_clips
    from srlib.interpolate import upsample_baseline

    corpus = _letters_corpus(tmp_path, sine)
    data = [(c, np.asarray(corpus.load(c, 16000))) for c in corpus.clips]
    fn = lambda x_lr: upsample_baseline(x_lr, 4, "sinc")  # noqa: E731
    with pytest.raises(OverlapError, match=r"mine trained on klettres \(de\)"):
        evaluate_clips(data, 16000, 4, ["mine"], models={"mine": fn}, lineages={"mine": Lineage({"klettres": ("de",)})})
    assert len(evaluate_clips(data, 16000, 4, ["mine"], models={"mine": fn})) == 3  # no lineage: nothing to refuse


def test_the_card_writes_its_folder(tmp_path):
    card = ModelCard.create(tmp_path / "m", {"kind": "unet", "sr_hz": 16000, "ratio": 4}, command="srlib train x")
    assert (tmp_path / "m" / "command.txt").read_text() == "srlib train x\n"
    again = card.update(train_seconds=12.5)
    assert json.loads((tmp_path / "m" / "config.json").read_text())["train_seconds"] == 12.5 == again.config["train_seconds"]
    again.write_metrics({"summary": {"unet": {"snr_db": {"mean": 3.0}}}}, "| table |\n")
    assert again.metrics["summary"]["unet"]["snr_db"]["mean"] == 3.0 and again.score("snr_db") == 3.0
    assert (tmp_path / "m" / "metrics.md").read_text() == "| table |\n"
    assert not list((tmp_path / "m").glob("*.part"))  # atomic writes leave nothing behind
    with pytest.raises(ValueError, match="needs sr_hz and ratio"):
        ModelCard.create(tmp_path / "n", {"kind": "unet"})
