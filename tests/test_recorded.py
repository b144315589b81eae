"""Real-recording corpora from Debian packages and MagnaTagATune, on fixture folders the tests make."""

import dataclasses
import json

import numpy as np
import pytest
import soundfile as sf

from srlib import ConfigError, DataSourceError
from srlib.data import make_pairs, open_corpus
from srlib.data.magnatagatune import magnatagatune_corpus
from srlib.data.recorded import GATE_FRACTION, SOURCES, build_recorded, gate, missing_packages, source_table
from srlib.models.card import ModelCard


def _tone(sr_hz, seconds=0.6, top_hz=None, level=0.3, seed=0):
    """Noise band-limited to ``top_hz`` (default: the Nyquist frequency) at RMS ``level``, with silence around it."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr_hz)
    x = rng.standard_normal(n)
    if top_hz:
        spec = np.fft.rfft(x)
        spec[np.fft.rfftfreq(n, 1 / sr_hz) > top_hz] = 0
        x = np.fft.irfft(spec, n)
    x = level * x / np.sqrt(np.mean(x**2))
    return np.concatenate([np.zeros(sr_hz // 10), x, np.zeros(sr_hz // 10)]).astype("float32")


def _write(path, x, sr_hz):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), x, sr_hz, format="WAV" if path.suffix == ".wav" else "OGG",
             subtype="PCM_16" if path.suffix == ".wav" else "VORBIS")


#: MegaGlest sounds of the fixture (below techs/megapack) and whether each is a clip of the megaglest source.
MEGAGLEST = {
    "commondata/sounds/guard_ack1.wav": True, "commondata/sounds/guard_select1.wav": True,
    "commondata/sounds/guard_attack1.wav": False,  # a grunt, not a reply
    "commondata/sounds/cow_ack1.wav": False,  # an animal
    "factions/persian/units/princess/sounds/princess_ack1.wav": True,
    "factions/norsemen/units/spearman/sounds/swordman_ack1.wav": True,  # two units, one voice: norsemen-swordman
    "factions/norsemen/units/swordman/sounds/swordman_ack1.wav": True,
    "factions/norsemen/units/swordman_berserk/sounds/swordman_ack1.wav": False,  # the same played backwards
    "factions/norsemen/units/swordman/sounds/swordman_select5.wav": False,  # a re-saved copy of swordman_ack1
    "factions/magic/units/dragon/sounds/dragon_select1.wav": False,  # a creature
    "factions/indian/units/archer/sounds/archer_ack1.wav": True,
}


@pytest.fixture
def packages(tmp_path, monkeypatch):
    """Fixture 'packages' laid out like the Debian ones under tmp_path/root; SOURCES point there."""
    root = tmp_path / "root"
    fillets = root / "usr/share/games/fillets-ng/sound"
    for level in ("airplane", "bathroom"):
        for spk in ("m", "v", "x"):
            _write(fillets / level / "cs" / f"{level[:3]}-{spk}-word.ogg", _tone(22050, seed=len(level)), 22050)
    tux = root / "usr/share/tuxpaint/stamps/animals"
    for lang, sr in (("fr", 44100), ("da", 44100), ("ca", 8000)):  # ca: an 8 kHz recording, as in the package
        for stamp in ("frog", "cat"):
            _write(tux / f"{stamp}_desc_{lang}.ogg", _tone(sr, top_hz=min(11000, sr / 2), level=0.05), sr)
    klettres = root / "usr/share/klettres"
    for lang in ("cs", "nl"):
        _write(klettres / lang / "alpha" / "a.ogg", _tone(44100), 44100)
    kt = root / "usr/share/ktuberling/sounds"
    for lang in ("de", "sv"):
        _write(kt / lang / "hat.ogg", _tone(22050, level=0.01), 22050)
    hw = root / "usr/share/games/hedgewars/Data"
    _write(hw / "Sounds/voices/Pirate/Yessir.ogg", _tone(44100), 44100)
    _write(hw / "Music/Castle.ogg", _tone(44100, seconds=2.0), 44100)
    _write(hw / "Music/Beach.ogg", _tone(22050, seconds=2.0), 22050)  # a piece recorded at 22.05 kHz
    _write(root / "usr/share/games/wesnoth/1.16/data/core/music/battle.ogg", _tone(44100, seconds=2.0), 44100)
    gcin = root / "usr/share/gcin-voice/ogg"
    for syllable in ("ㄅㄚ1", "ㄇㄚ3"):  # bopomofo and tone: non-ASCII folder names, as in the package
        for speaker in ("3", "5"):
            _write(gcin / syllable / f"{speaker}.ogg", _tone(44100), 44100)
    megapack = root / "usr/share/games/megaglest/techs/megapack"
    for i, rel in enumerate(MEGAGLEST):
        sr = 22050 if rel.startswith("commondata") else 44100  # the shared voices are 22.05 kHz recordings
        _write(megapack / rel, _tone(sr, seed=i), sr)
    # a unit folder that links to another unit's recording (as the package does), listed before it: one clip, the file
    (megapack / "factions/egypt/units/archer/sounds").mkdir(parents=True)
    (megapack / "factions/egypt/units/archer/sounds/archer_ack1.wav").symlink_to(
        "../../../../indian/units/archer/sounds/archer_ack1.wav")
    for pkg in ("muldjord", "sectoid"):
        song = root / f"usr/share/games/fretsonfire/data/songs/{pkg}/song one"
        _write(song / "song.ogg", _tone(44100, seconds=2.0, level=0.5), 44100)
        _write(song / "guitar.ogg", _tone(44100, seconds=2.0, level=0.5, seed=9), 44100)
    for name, source in list(SOURCES.items()):
        monkeypatch.setitem(SOURCES, name, dataclasses.replace(source, root=str(root)))
    monkeypatch.setenv("SRLIB_CACHE", str(tmp_path / "cache"))
    return root


def test_speech_sources_splits_levels_and_measured_bandwidth(packages):
    corpus = build_recorded("speech", jobs=1)
    assert {c.source for c in corpus.clips} == {"fillets-cs", "tuxpaint", "klettres", "gcin", "megaglest",
                                                "ktuberling", "hedgewars-voices"}
    # whole sources held out: every ktuberling and hedgewars clip is test, and nothing else is
    assert {c.source for c in corpus.split("test")} == {"ktuberling", "hedgewars-voices"}
    assert {c.group for c in corpus.split("val")} == {"fillets-cs/x", "tuxpaint/da", "klettres/nl",
                                                      "megaglest/persian-princess", "megaglest/common-guard"}
    assert {c.group for c in corpus.split("train")} >= {"fillets-cs/m", "fillets-cs/v", "tuxpaint/fr"}
    by_group = {c.group: c for c in corpus.clips}
    # stored at the recorded level (0.05 RMS is -26 dBFS; trimmed of silence), mono, at most 24 kHz
    quiet = by_group["tuxpaint/fr"]
    assert -28 < quiet.meta["level_dbfs"] < -24 and sf.info(quiet.path).samplerate == 24000
    assert sf.info(by_group["tuxpaint/ca"].path).samplerate == 8000  # never up-sampled
    assert sf.info(by_group["fillets-cs/m"].path).samplerate == 22050 and quiet.meta["source_sr_hz"] == 44100
    assert by_group["tuxpaint/ca"].meta["bandwidth_hz"] < 4500 < by_group["tuxpaint/fr"].meta["bandwidth_hz"]
    assert 0.5 < quiet.duration_s < 0.7 and quiet.meta["language"] == "fr" and quiet.meta["licence"]
    again = build_recorded("speech", jobs=2)  # cached clips are reused, in worker processes too
    assert [c.path for c in again.clips] == [c.path for c in corpus.clips]


def test_the_bandwidth_gate_keeps_recordings_made_at_a_lower_rate_out(packages):
    corpus = build_recorded("speech", jobs=1)
    passed = {c.group for c in gate(corpus.clips, 16000)}
    assert "tuxpaint/ca" not in passed and {"tuxpaint/fr", "fillets-cs/m"} <= passed
    assert all(c.meta["bandwidth_hz"] >= GATE_FRACTION * 8000 for c in gate(corpus.clips, 16000))
    assert "fillets-cs/m" not in {c.group for c in gate(corpus.clips, 44100)}  # 22.05 kHz speech: not for 44.1 kHz
    pairs = make_pairs(corpus, "train", sr_hz=16000, patch_len=1024, stride=1024, cache=False, min_rms_db=-60)
    used = {corpus.split("train")[i].group for i in set(pairs.clip_index.tolist())}
    assert "tuxpaint/ca" not in {c.group for c in gate(corpus.split("train"), 16000)} and used
    with pytest.raises(ConfigError, match="fraction"):
        gate(corpus.clips, 16000, fraction=1.5)


def test_gcin_speakers_and_megaglest_replies_voices_and_links(packages):
    gcin = SOURCES["gcin"]
    files = gcin.files()  # the glob reads the non-ASCII syllable folders
    assert [(f.parent.name, gcin.group(f)) for f in files] == [
        ("ㄅㄚ1", "3"), ("ㄅㄚ1", "5"), ("ㄇㄚ3", "3"), ("ㄇㄚ3", "5")]
    mega = SOURCES["megaglest"]
    megapack = packages / "usr/share/games/megaglest/techs/megapack"
    # replies only, no creatures, no reworked or re-saved copies; the link to archer_ack1 goes, the real file stays
    kept = [str(f.relative_to(megapack)) for f in mega.files()]
    assert kept == sorted(rel for rel, clip in MEGAGLEST.items() if clip)
    assert [mega.group(megapack / rel) for rel in kept] == [
        "common-guard", "common-guard", "indian-archer", "norsemen-swordman", "norsemen-swordman", "persian-princess"]
    corpus = build_recorded("speech", sources=["gcin", "megaglest"], jobs=1)
    assert {(c.group, c.split) for c in corpus.clips} == {
        ("gcin/3", "train"), ("gcin/5", "train"), ("megaglest/common-guard", "val"),
        ("megaglest/indian-archer", "train"), ("megaglest/norsemen-swordman", "train"),
        ("megaglest/persian-princess", "val")}
    syllable = next(c for c in corpus.clips if c.source == "gcin")
    assert "ㄅㄚ1" in syllable.meta["source_file"] and syllable.meta["language"] == "zh"
    assert sf.info(syllable.path).samplerate == 24000  # decoded and cached under its non-ASCII name
    assert {c.meta["sr_hz"] for c in corpus.clips if c.group == "megaglest/common-guard"} == {22050}


def test_music_sums_a_songs_tracks_and_holds_a_package_out(packages):
    corpus = build_recorded("music", jobs=1)
    assert {c.source for c in corpus.split("test")} == {"fof-sectoid"}
    assert {c.group for c in corpus.split("val")} == {"hedgewars-music/Castle"}
    song = next(c for c in corpus.clips if c.source == "fof-muldjord")
    x, sr = sf.read(song.path)
    tracks = [sf.read(str(packages / f"usr/share/games/fretsonfire/data/songs/muldjord/song one/{name}"))[0]
              for name in ("song.ogg", "guitar.ogg")]
    # the full mix: both tracks in equal parts (scaled down together to stay within full scale)
    corr = [np.corrcoef(x, t_[: len(x)])[0, 1] for t_ in tracks]
    assert sr == 44100 and all(0.6 < c < 0.8 for c in corr) and np.abs(x).max() <= 1.0
    lowpassed = next(c for c in corpus.clips if c.group == "hedgewars-music/Beach")
    assert lowpassed not in gate(corpus.clips, 44100)
    table = source_table(corpus, 44100)
    assert "| fof-sectoid | fretsonfire-songs-sectoid | test |" in table and "44.1 kHz gate" in table


def test_open_corpus_names_and_the_quick_slice(packages):
    quick = open_corpus("recorded-speech", quick=True)
    assert quick.name.startswith("recorded-speech[") and len(quick) <= len(build_recorded("speech", jobs=1))
    one = build_recorded("speech", max_files_per_group=1, jobs=1)
    assert len(one) == len({c.group for c in one.clips})


def test_a_missing_package_is_named_with_its_install_command(packages, monkeypatch):
    monkeypatch.setitem(SOURCES, "ktuberling", dataclasses.replace(SOURCES["ktuberling"], root=str(packages / "none")))
    assert missing_packages("speech") == ["ktuberling-data"]
    with pytest.raises(DataSourceError, match=r"ktuberling-data.*apt-get install ktuberling-data"):
        build_recorded("speech", jobs=1)
    assert build_recorded("speech", sources=["klettres"], jobs=1).clips  # the others still build
    with pytest.raises(ConfigError, match="the speech sources are"):
        build_recorded("speech", sources=["wesnoth"])
    with pytest.raises(ConfigError, match="content"):
        build_recorded("video")


def test_a_broken_file_is_skipped_not_fatal(packages):
    broken = packages / "usr/share/klettres/cs/alpha/b.ogg"
    broken.write_bytes(b"OggS not really")
    corpus = build_recorded("speech", sources=["klettres"], jobs=1)
    assert [c.meta["source_file"] for c in corpus.clips if "b.ogg" in c.meta["source_file"]] == []
    note = next(p for p in (packages.parent / "cache").rglob("*b.json"))
    assert "unreadable" in json.loads(note.read_text())["skip"]


def test_every_source_is_documented():
    data_md = (__import__("pathlib").Path(__file__).resolve().parent.parent / "DATA.md").read_text()
    script = (__import__("pathlib").Path(__file__).resolve().parent.parent / "scripts" / "install-system-deps.sh").read_text()
    for s in SOURCES.values():
        assert s.package in data_md and s.package in script, s.name
        assert s.licence and s.description and s.content in ("speech", "music")


def _mtat(tmp_path, with_info=True):
    root = tmp_path / "mtat"
    rows = [("2", "c/artist_a-song_one-0-29.mp3", "1", "0"), ("6", "c/artist_a-song_one-30-59.mp3", "1", "1"),
            ("10", "3/artist_b-other-0-29.mp3", "0", "1"), ("12", "e/artist_c-third-0-29.mp3", "1", "0"),
            ("14", "e/missing-0-29.mp3", "1", "0")]
    for _, rel, *_ in rows[:4]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(root / rel), _tone(16000, seconds=0.3), 16000, format="WAV")  # contents only: any format reads
    lines = ["clip_id\tguitar\tclassical\tmp3_path"] + ["\t".join((cid, g, c, rel)) for cid, rel, g, c in rows]
    (root / "annotations_final.csv").write_text("\n".join(lines) + "\n")
    if with_info:
        info = ["clip_id\ttitle\tartist"] + [f"{cid}\tTitle {cid[0]}\tArtist" for cid, *_ in rows]
        info[1], info[2] = "2\tSong One\tArtist A", "6\tSong One\tArtist A"
        (root / "clip_info_final.csv").write_text("\n".join(info) + "\n")
    return root


def test_magnatagatune_splits_by_folder_and_groups_by_song(tmp_path):
    corpus = magnatagatune_corpus(_mtat(tmp_path))
    assert len(corpus) == 4  # the clip missing on disk is left out
    assert {c.split for c in corpus.clips} == {"train", "val", "test"}
    val = corpus.split("val")
    assert len(val) == 2 and len({c.group for c in val}) == 1 and val[0].group == "Artist A - Song One"
    assert val[1].meta["tags"] == ["classical", "guitar"]
    assert corpus.load(val[0], 16000).shape == (int(0.5 * 16000),)
    no_info = magnatagatune_corpus(_mtat(tmp_path / "b", with_info=False))
    assert {c.group for c in no_info.split("val")} == {"artist_a-song_one"}
    assert len(open_corpus(f"magnatagatune:{_mtat(tmp_path / 'c')}")) == 4


def test_magnatagatune_without_its_table_says_so(tmp_path):
    with pytest.raises(DataSourceError, match="annotations_final.csv.*does not download"):
        magnatagatune_corpus(tmp_path)


def test_plot_bandwidths_draws_every_source_and_the_gate(packages):
    from srlib.plots import plot_bandwidths

    corpus = build_recorded("music", jobs=1)
    fig = plot_bandwidths(corpus, 44100)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(dict.fromkeys(c.source for c in corpus.clips))
    assert sorted(line.get_xdata()[0] for line in ax.get_lines()) == [0.8 * 22.05, 22.05]


def test_data_commands_list_and_measure_the_sources(packages, capsys):
    from srlib.cli import main

    assert main(["data", "sources"]) == 0
    out = capsys.readouterr().out
    assert "| fof-sectoid | music | test | fretsonfire-songs-sectoid | yes |" in out
    assert main(["data", "info", "recorded-speech", "-q"]) == 0
    out = capsys.readouterr().out
    assert "hours passing the 16 kHz gate" in out and "| ktuberling | ktuberling-data | test |" in out


@pytest.mark.integration
@pytest.mark.skipif(bool(missing_packages("speech") or missing_packages("music")),
                    reason="the Debian packages of the recorded corpora are not installed (make install)")
def test_the_installed_packages_build_the_quick_slices():
    """On the real packages (installed by make): every source present, splits and the gate as documented."""
    speech = open_corpus("recorded-speech", quick=True)
    assert {c.source for c in speech.clips} == {s.name for s in SOURCES.values() if s.content == "speech"}
    assert {c.source for c in speech.split("test")} == {"ktuberling", "hedgewars-voices"}
    assert len(gate(speech.split("train"), 16000)) > 100 and "fillets-cs/m" in speech.groups("train")
    music = open_corpus("recorded-music", quick=True)
    assert {c.source for c in music.split("test")} == {"fof-sectoid"}
    assert all(c.meta["sr_hz"] == 44100 for c in music.clips)


def test_evaluating_a_model_folder_reports_each_held_out_source(packages, tmp_path):
    pytest.importorskip("keras")
    from srlib.evaluate import evaluate_model_dir
    from srlib.models.unet import PRESETS, build_unet

    folder = tmp_path / "model"
    folder.mkdir()
    build_unet("tiny").save_weights(str(folder / "model.weights.h5"))  # untrained: the spline, exactly
    (folder / "config.json").write_text(json.dumps({
        "kind": "unet", "sr_hz": 16000, "ratio": 4, "unet": PRESETS["tiny"].to_dict(),
        "train": {"corpus": "recorded-speech", "filter": "random"}}))
    result = evaluate_model_dir(folder, perceptual=False)
    assert result["n_clips"] == 3 and set(result["per_source"]) == {"ktuberling", "hedgewars-voices"}
    assert result["per_source"]["ktuberling"]["unet"]["n"] == 2
    s = result["summary"]
    assert abs(s["unet"]["snr_db"]["mean"] - s["spline"]["snr_db"]["mean"]) < 1e-3
    text = (folder / "metrics.md").read_text()
    assert "**ktuberling** (2 clips)" in text and "**hedgewars-voices** (1 clips)" in text
    saved = ModelCard.read(folder).metrics  # metrics.json, its rows from per_clip.json.gz
    assert "per_clip" not in json.loads((folder / "metrics.json").read_text())
    assert saved["per_clip"] == result["per_clip"] and saved["summary"] == result["summary"]
    assert saved["per_clip"][0]["clip"].split("/")[0] in {"ktuberling", "hedgewars-voices"}


def test_evaluating_a_corpus_source_by_source_and_level_by_level(packages, capsys):
    from srlib.cli import main
    from srlib.evaluate import evaluate_sources, format_sources

    corpus = open_corpus("recorded-speech")
    results = evaluate_sources(corpus, ["spline", "sinc"], sr_hz=16000, ratio=4, levels_db=(0, -20),
                               max_clips_per_source=1)
    assert set(results) == {(s, lv) for s in ("ktuberling", "hedgewars-voices") for lv in (0.0, -20.0)}
    assert results[("ktuberling", 0.0)]["sinc"]["n"] == 1
    quiet, loud = results[("ktuberling", -20.0)]["sinc"], results[("ktuberling", 0.0)]["sinc"]
    assert quiet["lsd"]["mean"] == pytest.approx(loud["lsd"]["mean"], rel=1e-3)  # the metrics are level-free
    assert "**hedgewars-voices**, input level -20 dB (1 clips)" in format_sources(results)
    assert format_sources(results, "csv").splitlines()[1].startswith("ktuberling,0,spline,1,")
    assert main(["evaluate", "--corpus", "recorded-speech", "--methods", "spline", "--levels", "0", "-6",
                 "--max-clips", "1", "-q"]) == 0
    assert "**ktuberling**, input level -6 dB" in capsys.readouterr().out
    assert main(["evaluate", "--corpus", "recorded-speech", "--methods", "spline", "--input-sr", "8000", "--chains",
                 "none", "mulaw", "gsm", "--max-clips", "1", "-q", "--format", "json"]) == 0
    rows = {r["source"]: r["summary"]["spline"] for r in __import__("json").loads(capsys.readouterr().out)}
    assert set(rows) == {f"{s}{c}" for s in ("ktuberling", "hedgewars-voices") for c in ("", " (mulaw)", " (gsm)")}
    assert main(["evaluate", "--corpus", "recorded-speech", "--input-sr", "11025", "--chains", "gsm", "-q"]) == 1
    assert "gsm: codes audio at 8000 Hz; got 11025 Hz input" in capsys.readouterr().err  # before any clip is scored
    assert main(["evaluate", "x.wav", "--chains", "mulaw", "-q"]) == 1
    assert "--chains scores a corpus" in capsys.readouterr().err
    for s in ("ktuberling", "hedgewars-voices"):  # a chain costs the input some of its accuracy, GSM the most
        assert rows[s]["snr_db"]["mean"] > rows[f"{s} (mulaw)"]["snr_db"]["mean"] > rows[f"{s} (gsm)"]["snr_db"]["mean"]
    assert main(["evaluate", "x.wav", "--corpus", "recorded-speech", "-q"]) == 1
