"""Files as people have them: where a recording's band stops, and the band it lacks added at its own rate."""

import io
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from srlib.audio import resample
from srlib.cli import main
from srlib.data import open_corpus
from srlib.spectral import detect_cutoff_hz, long_term_spectrum_db


def encode(x, sr, fmt, subtype, level, **kw):
    """``x`` through a real encoder (libsndfile's LAME, Opus): (decoded float32, kbit/s of the file)."""
    buf = io.BytesIO()
    sf.write(buf, x, sr, format=fmt, subtype=subtype, compression_level=level, **kw)
    kbps = buf.tell() * 8 / (len(x) / sr) / 1000
    buf.seek(0)
    return sf.read(buf, dtype="float32")[0], kbps


def lost_above_hz(original, processed, sr):
    """The band edge an encoder or a chain left, read *with* the original: the lowest frequency above which
    the processed file is at least 20 dB under the original in 98 % of the bins (up to where the original
    still has content, 60 dB under its peak); None where it lost no band."""
    f, before = long_term_spectrum_db(original, sr)
    _, after = long_term_spectrum_db(processed[: len(original)], sr)
    top = int(np.flatnonzero(before >= before.max() - 60).max())
    lost = after - before < -20
    for k in range(int(np.searchsorted(f, 500)), top):
        if lost[k: top + 1].mean() >= 0.98:
            return float(f[k])
    return None


@pytest.fixture(scope="module")
def held_out():
    """Held-out recordings (never trained on): two speech packages at 16 kHz, one music package at 44.1 kHz."""
    speech = open_corpus("recorded-speech")
    voices = {}
    for source in ("hedgewars-voices", "ktuberling"):
        clips = [c for c in speech.split("test") if c.source == source][:40]
        voices[source] = np.concatenate([speech.load(c, 16000) for c in clips])
    music = open_corpus("recorded-music")
    songs = {f"{c.source} {i}": music.load(c, 44100)[: 20 * 44100] for i, c in enumerate(music.split("test")[:3])}
    return voices, songs


def test_cutoffs_of_real_encodes_are_found_within_5_percent(held_out, capsys):
    voices, songs = held_out
    rows = []  # (recording, chain, detected Hz, true Hz, what the truth is)

    def check(name, chain, original, processed, sr, codes_to_hz=None):
        lost = lost_above_hz(original, processed, sr)
        if codes_to_hz:  # Opus codes a full band to 20 kHz (RFC 6716), filling it where the original had less
            truth, what = codes_to_hz, "the codec's band"
        elif lost:
            truth, what = lost, "lost above (read with the original)"
        else:
            truth = detect_cutoff_hz(original, sr)
            what = ("the original's own edge (the encode kept it)" if truth else
                    "none: the original fades out gently and the encode lost nothing measurable")
        rows.append((name, chain, detect_cutoff_hz(processed, sr), truth, what))

    for name, x in voices.items():
        check(name, "8 kHz telephone, resampled to 16 kHz", x, resample(resample(x, 16000, 8000), 8000, 16000), 16000)
        for level in (0.9, 0.7):
            y, kbps = encode(x, 16000, "MP3", "MPEG_LAYER_III", level, bitrate_mode="CONSTANT")
            check(name, f"MP3 at 16 kHz, {kbps:.0f} kbit/s", x, y, 16000)
    for name, x in songs.items():
        for level in (0.88, 0.75, 0.65):  # libsndfile's levels for LAME's 64, 96 and 128 kbit/s
            y, kbps = encode(x, 44100, "MP3", "MPEG_LAYER_III", level, bitrate_mode="CONSTANT")
            check(name, f"MP3 at 44.1 kHz, {kbps:.0f} kbit/s", x, y, 44100)
        x48 = resample(x, 44100, 48000)
        for level in (0.92, 0.87):  # about 24 and 32 kbit/s
            y, kbps = encode(x48, 48000, "OGG", "OPUS", level)
            check(name, f"Opus at 48 kHz, {kbps:.0f} kbit/s", x48, y, 48000, codes_to_hz=20000)
    with capsys.disabled():
        print("\n| recording | chain | detected (kHz) | true (kHz) | truth | error |\n|---|---|---:|---:|---|---:|")
        for name, chain, got, truth, what in rows:
            error = "" if got is None or truth is None else f"{100 * abs(got - truth) / truth:.1f} %"
            got_text = "none" if got is None else f"{got / 1000:.2f}"
            truth_text = "none" if truth is None else f"{truth / 1000:.2f}"
            print(f"| {name} | {chain} | {got_text} | {truth_text} | {what} | {error} |")
    # a recording that fades out gently with no edge of its own, whose encode lost nothing measurable, has
    # no true cutoff to compare with: printed, not judged
    judged = [row for row in rows if row[3] is not None]
    missed = [row for row in judged if row[2] is None or abs(row[2] - row[3]) > 0.05 * row[3]]
    assert len(judged) >= 15 and not missed, missed


def test_no_cutoff_where_nothing_stops():
    rng = np.random.default_rng(0)
    t = np.arange(48000) / 16000
    assert detect_cutoff_hz(rng.standard_normal(48000), 16000) is None  # full band
    assert detect_cutoff_hz(0.5 * np.sin(2 * np.pi * 440 * t), 16000) is None  # a tone: a drop, but no band
    assert detect_cutoff_hz(0.3 * np.sin(2 * np.pi * 50 * t) + 0.1 * np.sin(2 * np.pi * 150 * t), 16000) is None
    assert detect_cutoff_hz(np.full(48000, 0.2), 16000) is None and detect_cutoff_hz(np.zeros(48000), 16000) is None


def _band_power(x, sr, lo, hi):
    """Mean power density (dB) of ``x`` from ``lo`` to ``hi`` Hz."""
    f, level = long_term_spectrum_db(x, sr)
    return float(10 * np.log10(np.mean(10 ** (level[(f >= lo) & (f < hi)] / 10))))


def test_a_phone_call_stored_at_16_khz_gets_its_band_at_its_own_rate(held_out, tmp_path, capsys):
    voices, _ = held_out
    x = voices["ktuberling"][: 16000 * 12]
    phone = resample(resample(x, 16000, 8000), 8000, 16000)
    sf.write(tmp_path / "call.wav", phone, 16000)
    assert main(["upsample", str(tmp_path / "call.wav"), str(tmp_path / "out.wav")]) == 0
    said = capsys.readouterr().err.strip()
    assert said.startswith(f"wrote {tmp_path / 'out.wav'} (frame-speech-16k-4to12k from a detected 3.")
    y, sr = sf.read(tmp_path / "out.wav", dtype="float32")
    assert sr == 16000 and len(y) == len(phone)
    assert _band_power(y, sr, 4500, 7000) > _band_power(phone, sr, 4500, 7000) + 30  # a band where there was none
    assert abs(_band_power(y, sr, 300, 3000) - _band_power(phone, sr, 300, 3000)) < 0.5  # the call's own band kept
    # ... as it was, sample for sample, up to its cutoff: neither the model's edge nor a resampler's slope in it
    assert _band_power(y - phone, sr, 100, 3700) < _band_power(phone, sr, 100, 3700) - 40
    # the same file to 48 kHz: extended from its 4 kHz, not from the 8 kHz its rate claims
    assert main(["upsample", str(tmp_path / "call.wav"), str(tmp_path / "up.wav"), "--target-sr", "48000"]) == 0
    assert "from a detected 3." in capsys.readouterr().err
    # a one-rate model that does not take the band's rate: the line says how the file became that rate
    assert main(["upsample", str(tmp_path / "call.wav"), str(tmp_path / "u.wav"), "--model", "unet"]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "its band stops at 3." in line and "so it is read as 7" in line and "takes 4000 Hz input" in line
    assert not (tmp_path / "u.wav").exists()


def test_a_stereo_mp3_keeps_its_channels_and_rate(held_out, tmp_path, capsys):
    _, songs = held_out
    x = next(iter(songs.values()))[: 44100 * 8]
    sf.write(tmp_path / "song.mp3", np.stack([x, 0.5 * x], 1), 44100, format="MP3", subtype="MPEG_LAYER_III",
             compression_level=0.95, bitrate_mode="CONSTANT")  # the lowest rate: its band stops near 11 kHz
    assert main(["upsample", str(tmp_path / "song.mp3"), str(tmp_path / "song.wav"), "-q"]) == 0
    y, sr = sf.read(tmp_path / "song.wav", dtype="float32")
    decoded, _ = sf.read(tmp_path / "song.mp3", dtype="float32")
    assert sr == 44100 and y.shape == decoded.shape
    assert _band_power(y[:, 0], sr, 13000, 16000) > _band_power(decoded[:, 0], sr, 13000, 16000) + 20
    for channel in (0, 1):  # each channel keeps its own band below the cutoff
        assert abs(_band_power(y[:, channel], sr, 200, 8000) - _band_power(decoded[:, channel], sr, 200, 8000)) < 0.5


def test_an_mp3_at_64_kbps_gets_the_top_of_its_band(held_out, tmp_path, capsys):
    """LAME at 64 kbit/s keeps about 16 kHz of a 44.1 kHz song: frame-music-44k-22to40k adds the rest."""
    _, songs = held_out
    x = next(iter(songs.values()))[: 44100 * 8]
    sf.write(tmp_path / "song.mp3", x, 44100, format="MP3", subtype="MPEG_LAYER_III", compression_level=0.88,
             bitrate_mode="CONSTANT")
    assert main(["upsample", str(tmp_path / "song.mp3"), str(tmp_path / "song.wav")]) == 0
    assert "(frame-music-44k-22to40k from a detected 16." in capsys.readouterr().err
    y, sr = sf.read(tmp_path / "song.wav", dtype="float32")
    decoded, _ = sf.read(tmp_path / "song.mp3", dtype="float32")
    assert sr == 44100 and y.shape == decoded.shape
    assert _band_power(y, sr, 17000, 20000) > _band_power(decoded, sr, 17000, 20000) + 20


@pytest.mark.parametrize("case", ["full band", "hum", "dc", "a 0.2 s mp3", "cutoff none"])
def test_nothing_to_add_is_refused_in_one_line_and_nothing_written(held_out, tmp_path, capsys, case):
    voices, songs = held_out
    t = np.arange(16000 * 4) / 16000
    path, extra = tmp_path / "in.wav", []
    if case == "full band":
        sf.write(path, voices["hedgewars-voices"][: 16000 * 6], 16000)  # recorded at 44.1 kHz: whole to 8 kHz
    elif case == "hum":
        sf.write(path, 0.3 * np.sin(2 * np.pi * 50 * t) + 0.1 * np.sin(2 * np.pi * 150 * t), 16000)
    elif case == "dc":
        sf.write(path, np.full(len(t), 0.2), 16000)
    elif case == "a 0.2 s mp3":
        path = tmp_path / "in.mp3"
        sf.write(path, next(iter(songs.values()))[: 8820], 44100, format="MP3", subtype="MPEG_LAYER_III",
                 compression_level=0.95, bitrate_mode="CONSTANT")
    else:
        sf.write(path, resample(resample(voices["ktuberling"][: 16000 * 4], 16000, 8000), 8000, 16000), 16000)
        extra = ["--cutoff", "none"]
    code = main(["upsample", str(path), str(tmp_path / "out.wav"), *extra])
    err = capsys.readouterr().err.strip()
    if case == "a 0.2 s mp3" and code == 0:  # short, but its band is found: a correct result is fine too
        assert "from a detected" in err and sf.info(tmp_path / "out.wav").samplerate == 44100
        return
    assert code == 1 and len(err.splitlines()) == 1 and "nothing" in err, err
    assert not (tmp_path / "out.wav").exists()


def test_a_file_of_two_encodes_keeps_the_wider_band(held_out, tmp_path, capsys):
    """A cutoff that wanders (a file concatenated from a phone call and a wide-band recording): the file
    is extended from the wider band's edge, so the wide part loses nothing."""
    voices, _ = held_out
    x = voices["hedgewars-voices"][: 16000 * 6]
    narrow = resample(resample(voices["ktuberling"][: 16000 * 6], 16000, 8000), 8000, 16000)
    both = np.concatenate([narrow, x])
    sf.write(tmp_path / "both.wav", both, 16000)
    code = main(["upsample", str(tmp_path / "both.wav"), str(tmp_path / "up.wav"), "--target-sr", "32000"])
    assert code == 0, capsys.readouterr().err
    y, sr = sf.read(tmp_path / "up.wav", dtype="float32")
    wide_in, wide_out = x, y[2 * len(narrow):]
    assert abs(_band_power(wide_out, sr, 4500, 7000) - _band_power(wide_in, 16000, 4500, 7000)) < 1.5


def test_a_truncated_mp3_is_written_or_refused_cleanly(held_out, tmp_path, capsys):
    _, songs = held_out
    sf.write(tmp_path / "whole.mp3", next(iter(songs.values()))[: 44100 * 6], 44100, format="MP3",
             subtype="MPEG_LAYER_III", compression_level=0.95, bitrate_mode="CONSTANT")
    data = (tmp_path / "whole.mp3").read_bytes()
    (tmp_path / "cut.mp3").write_bytes(data[: len(data) // 2])
    code = main(["upsample", str(tmp_path / "cut.mp3"), str(tmp_path / "out.wav"), "-q"])
    err = capsys.readouterr().err.strip()
    if code == 0:
        y, sr = sf.read(tmp_path / "out.wav")
        assert sr == 44100 and 2.5 * sr < len(y) < 3.5 * sr and np.isfinite(y).all()
    else:
        assert code == 1 and len(err.splitlines()) == 1 and not (tmp_path / "out.wav").exists()


def test_judging_files_without_their_original(held_out, tmp_path, capsys):
    """srlib evaluate --no-reference: each file's band edge and DNSMOS, beside those of the file it came from."""
    voices, _ = held_out
    (tmp_path / "in").mkdir()
    call = resample(resample(voices["hedgewars-voices"][: 16000 * 6], 16000, 8000), 8000, 16000)
    sf.write(tmp_path / "in" / "call.wav", call, 16000)
    assert main(["upsample", str(tmp_path / "in"), "--output-dir", str(tmp_path / "out"), "-q"]) == 0
    capsys.readouterr()
    assert main(["evaluate", "--no-reference", str(tmp_path / "out"), "--before", str(tmp_path / "in"), "-q",
                 "--format", "json"]) == 0
    (row,) = __import__("json").loads(capsys.readouterr().out)
    assert row["sr_hz"] == 16000 and 3700 < row["cutoff_hz_before"] < 4000
    assert row["cutoff_hz"] is None or row["cutoff_hz"] > 6000  # the band the call lacked is there now
    assert 1 < row["dnsmos_before"] < 5 and 1 < row["dnsmos"] < 5
    assert main(["evaluate", "--no-reference", str(tmp_path / "in"), "--no-dnsmos", "-q"]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0] == "| file | rate (Hz) | cutoff (kHz) |" and "| 3.8 |" in table


def av_encode(path, x, sr, container, codec, kbps):
    """Encode ``x`` ((n,) or (channels, n) float) with FFmpeg's ``codec`` through PyAV into ``path``."""
    import av

    x = np.atleast_2d(np.asarray(x, dtype=np.float32))
    layout = "mono" if len(x) == 1 else "stereo"
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=sr, layout=layout)
        stream.bit_rate = kbps * 1000
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(x.T).reshape(1, -1), format="flt", layout=layout)
        frame.sample_rate = sr
        for packet in (*stream.encode(frame), *stream.encode(None)):
            out.mux(packet)


def test_containers_are_read_through_pyav(held_out, tmp_path, capsys, monkeypatch):
    """A phone call in an M4A (AAC) at 16 kHz gets its band at its own rate; a folder run writes a WebM's
    output as FLAC; evaluate --no-reference reads both; an M4A cut before its index or a fake one fails in one line,
    writing nothing; a cut WebM is read for what it holds, with a warning."""
    pytest.importorskip("av")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the decodes' temporary folders: none may stay
    voices, songs = held_out
    call = resample(resample(voices["ktuberling"][: 16000 * 8], 16000, 8000), 8000, 16000)
    av_encode(tmp_path / "call.m4a", call, 16000, "mp4", "aac", 48)
    assert main(["upsample", str(tmp_path / "call.m4a"), str(tmp_path / "wide.wav")]) == 0
    assert "from a detected 3." in capsys.readouterr().err
    y, sr = sf.read(tmp_path / "wide.wav")
    assert sr == 16000 and abs(len(y) - len(call)) < 4096 and np.isfinite(y).all()  # AAC adds its priming
    assert _band_power(y, sr, 4500, 7000) > _band_power(call, sr, 4500, 7000) + 10
    (tmp_path / "in").mkdir()
    song = resample(songs[next(iter(songs))][: 44100 * 6], 44100, 48000)
    av_encode(tmp_path / "in" / "song.webm", np.stack([song, song]), 48000, "webm", "libopus", 24)
    assert main(["upsample", str(tmp_path / "in"), "--output-dir", str(tmp_path / "out"), "--target-sr", "96000",
                 "--model", "sinc", "-q"]) == 0
    out = sf.info(tmp_path / "out" / "song.webm.flac")
    assert (out.samplerate, out.channels) == (96000, 2) and abs(out.duration - 6) < 0.1
    assert main(["evaluate", "--no-reference", str(tmp_path / "call.m4a"), str(tmp_path / "in" / "song.webm"),
                 "--no-dnsmos", "--format", "json", "-q"]) == 0
    rows = __import__("json").loads(capsys.readouterr().out)
    assert [r["sr_hz"] for r in rows] == [16000, 48000] and 3700 < rows[0]["cutoff_hz"] < 4100
    data = (tmp_path / "call.m4a").read_bytes()
    (tmp_path / "cut.m4a").write_bytes(data[: len(data) // 2])  # an MP4 whose index (at its end) is gone
    (tmp_path / "fake.m4a").write_bytes(b"\x00\x00\x00\x20ftypM4A " + bytes(2000))
    for name in ("cut", "fake"):
        assert main(["upsample", str(tmp_path / f"{name}.m4a"), str(tmp_path / f"{name}.wav")]) == 1
        (line,) = capsys.readouterr().err.strip().splitlines()
        assert line.startswith(f"srlib: error: {tmp_path / name}.m4a: not a readable audio file"), line
        assert not (tmp_path / f"{name}.wav").exists()
    data = (tmp_path / "in" / "song.webm").read_bytes()
    (tmp_path / "cut.webm").write_bytes(data[: len(data) // 2])  # a WebM cut short: what it holds, with a warning
    assert main(["upsample", str(tmp_path / "cut.webm"), str(tmp_path / "cut.wav"), "--target-sr", "96000",
                 "--model", "sinc", "-q"]) == 0
    assert re.search(r"warning: \S+cut.webm: truncated or damaged: 2\.\d+ s decoded of the 6\.\d+ s",
                     capsys.readouterr().err)
    assert 2 < sf.info(tmp_path / "cut.wav").duration < 4
    assert not list(tmp_path.rglob(".*.part")) and not list(tmp_path.rglob("srlib-decoded-*"))


def test_formats_people_have(tmp_path, capsys):
    """Opus files are read (libsndfile), written WAV/FLAC/Ogg/MP3 by suffix; an output format srlib does not
    write gets one line that lists those it does."""
    rng = np.random.default_rng(0)
    sf.write(tmp_path / "voice.opus", (0.1 * rng.standard_normal(24000)).astype("float32"), 24000, format="OGG",
             subtype="OPUS")
    for name, fmt in (("a.flac", "FLAC"), ("a.ogg", "OGG"), ("a.mp3", "MP3")):
        assert main(["upsample", str(tmp_path / "voice.opus"), str(tmp_path / name), "--target-sr", "48000",
                     "--model", "sinc", "-q"]) == 0
        assert (sf.info(tmp_path / name).format, sf.info(tmp_path / name).samplerate) == (fmt, 48000)
    assert main(["upsample", str(tmp_path / "voice.opus"), str(tmp_path / "voice.m4a"), "--target-sr", "48000",
                 "-q"]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "unknown output format '.m4a'" in line and "'.flac'" in line
    assert not (tmp_path / "voice.m4a").exists()


def test_review_findings_stay_fixed(held_out, tmp_path, capsys):
    """Stereo highs in opposite phase are band, not a cutoff; blocks of a restored file join as one pass does;
    a non-integer low rate still evaluates (22050 / 4); --before pairs by path, not by name alone."""
    rng = np.random.default_rng(1)
    left = rng.standard_normal(48000).astype("float32") * 0.1
    assert detect_cutoff_hz(np.stack([left, -left]), 16000) is None  # a mono mix would be silent
    voices, _ = held_out
    call = resample(resample(voices["ktuberling"][: 16000 * 5], 16000, 8000), 8000, 16000)
    sf.write(tmp_path / "call.wav", call, 16000)
    from srlib.api import upsample_file_used

    upsample_file_used(tmp_path / "call.wav", tmp_path / "whole.wav")
    upsample_file_used(tmp_path / "call.wav", tmp_path / "blocks.wav", block_s=1.3, context_s=0.2)
    whole, blocks = sf.read(tmp_path / "whole.wav")[0], sf.read(tmp_path / "blocks.wav")[0]
    # the same to float rounding, which may move a rare sample by one 16-bit step (the images' spline of a block
    # and its crossover's frames are not bit for bit those of the whole file)
    np.testing.assert_allclose(blocks, whole, rtol=0, atol=2 ** -15)
    assert np.mean(blocks != whole) < 1e-3
    from srlib.evaluate import evaluate_clips, summarize

    assert summarize(evaluate_clips([("a", left[:22050])], 22050, 4, ["lowres", "spline"]))["spline"]["n"] == 1
    for folder in ("a", "b"):
        (tmp_path / "in" / folder).mkdir(parents=True)
        (tmp_path / "out" / folder).mkdir(parents=True)
        sf.write(tmp_path / "in" / folder / "001.wav", call if folder == "a" else 0.5 * call, 16000)
        sf.write(tmp_path / "out" / folder / "001.flac", call, 16000)
    assert main(["evaluate", "--no-reference", str(tmp_path / "out"), "--before", str(tmp_path / "in"),
                 "--no-dnsmos", "--format", "json", "-q"]) == 0
    rows = __import__("json").loads(capsys.readouterr().out)
    assert [(Path(r["file"]).parent.name, Path(r["before"]).parent.name) for r in rows] == [("a", "a"), ("b", "b")]
