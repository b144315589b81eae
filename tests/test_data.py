import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest

from srlib import AudioError, ConfigError, DataSourceError, save
from srlib.data import Corpus, folder_corpus, make_dataset, make_pairs, vctk_corpus
from srlib.data.corpus import group_split
from srlib.data.pairs import pairs_cache_key


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SRLIB_CACHE", str(tmp_path / "cache"))


def _speech_like(n, seed):
    """A voiced, band-rich test signal: harmonics of 150 Hz with a noise burst."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 16000
    x = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 40))
    x += 0.3 * rng.standard_normal(n) * (t % 0.25 < 0.05)
    return (0.5 * x / np.abs(x).max()).astype(np.float32)


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "corpus"
    for s in range(12):
        for u in range(3):
            (root / f"spk{s:02d}").mkdir(parents=True, exist_ok=True)
            save(root / f"spk{s:02d}" / f"u{u}.wav", _speech_like(16000, s * 10 + u), 16000)
    return root


def test_folder_corpus_is_group_disjoint_and_stable(folder):
    a, b = folder_corpus(folder), folder_corpus(folder)
    assert [c.split for c in a.clips] == [c.split for c in b.clips]
    for g in a.groups():
        assert len({c.split for c in a.clips if c.group == g}) == 1
    assert set(a.groups("train")).isdisjoint(a.groups("test"))
    # adding a speaker moves nobody else
    (folder / "spk99").mkdir()
    save(folder / "spk99" / "u0.wav", _speech_like(16000, 999), 16000)
    c = folder_corpus(folder)
    assert {x.path: x.split for x in a.clips}.items() <= {x.path: x.split for x in c.clips}.items()


def test_group_split_fractions():
    splits = [group_split(f"g{i}", (0.8, 0.1, 0.1)) for i in range(2000)]
    assert 0.75 < splits.count("train") / 2000 < 0.85 and splits.count("test") > 150
    with pytest.raises(ConfigError, match="fractions"):
        group_split("x", (0.5, 0.5, 0.5))


def test_folder_corpus_errors(tmp_path):
    with pytest.raises(DataSourceError, match="does not exist"):
        folder_corpus(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(AudioError, match="no audio files"):
        folder_corpus(tmp_path / "empty")


def _vctk_tree(root, version):
    speakers = ["p225", "p226", "p227", "p280", "p360", "p376"]
    for s in speakers:
        n_utt = 20 if s == "p225" else 2
        for u in range(1, n_utt + 1):
            if version == "0.80":
                path = root / "wav48" / s / f"{s}_{u:03d}.wav"
                paths = [path]
            else:
                paths = [root / "wav48_silence_trimmed" / s / f"{s}_{u:03d}_{m}.flac" for m in ("mic1", "mic2")]
            for path in paths:
                path.parent.mkdir(parents=True, exist_ok=True)
                save(path, _speech_like(4800, u), 48000)
    (root / "txt").mkdir()  # VCTK also holds transcripts; they are ignored


@pytest.mark.parametrize("version", ["0.80", "0.92"])
def test_vctk_layouts_and_splits(tmp_path, version):
    _vctk_tree(tmp_path, version)
    multi = vctk_corpus(tmp_path, "multi")
    assert set(multi.groups("test")) == {"p360", "p376"}
    assert set(multi.groups("val")) == {"p225", "p226"}
    assert ("p280" in multi.groups("train")) == (version == "0.80")  # 0.92 leaves p280 out
    if version == "0.92":
        assert all(c.path.endswith("_mic1.flac") for c in multi.clips)
    single = vctk_corpus(tmp_path, "single")
    utts = {s: [c.meta["utterance"] for c in single.split(s)] for s in ("train", "val", "test")}
    assert utts["test"] == list(range(13, 21)) and utts["val"] == list(range(5, 13)) and utts["train"] == [1, 2, 3, 4]


def test_vctk_errors(tmp_path):
    with pytest.raises(AudioError, match="not a VCTK folder"):
        vctk_corpus(tmp_path)


def test_pairs_shapes_alignment_and_silence(folder):
    corpus = folder_corpus(folder)
    save(folder / "spk00" / "silent.wav", np.zeros(16000, np.float32), 16000)
    corpus = folder_corpus(folder)
    pairs = make_pairs(corpus, "train", ratio=4, patch_len=4096, stride=2048, cache=False)
    assert pairs.hr.shape[1:] == (4096,) and pairs.x_in.shape == pairs.hr.shape and pairs.lr.shape[1:] == (1024,)
    assert np.all(np.sqrt(np.mean(pairs.hr**2, axis=1)) >= 0.01)  # the silent clip gave nothing
    # the low-res patch is the degraded high-res, sample-exact
    from srlib.degrade import make_lowres
    from srlib.interpolate import upsample_baseline

    clip = corpus.split("train")[pairs.clip_index[0]]
    x = corpus.load(clip, 16000)
    lr = make_lowres(x, 4)
    np.testing.assert_array_equal(pairs.lr[0], lr[:1024])
    np.testing.assert_array_equal(pairs.hr[0], x[:4096])
    np.testing.assert_allclose(pairs.x_in[0], upsample_baseline(lr, 4, "spline")[:4096], atol=1e-6)


def test_pairs_cache_and_keys(folder):
    corpus = folder_corpus(folder)
    a = make_pairs(corpus, "train", ratio=2, patch_len=4096, stride=4096)
    b = make_pairs(corpus, "train", ratio=2, patch_len=4096, stride=4096)
    np.testing.assert_array_equal(a.hr, b.hr)
    base = dict(ratio=2, sr_hz=16000, patch_len=4096, stride=4096, filter="cheby1", seed=0, min_rms_db=-40)
    keys = {pairs_cache_key(corpus, "train", **base)}
    for k, v in [("ratio", 4), ("sr_hz", 22050), ("patch_len", 8192), ("stride", 2048), ("filter", "butter"),
                 ("seed", 1), ("min_rms_db", -50)]:
        keys.add(pairs_cache_key(corpus, "train", **{**base, k: v}))
    keys.add(pairs_cache_key(corpus, "test", **base))
    assert len(keys) == 9


def test_pairs_bad_params(folder):
    corpus = folder_corpus(folder)
    with pytest.raises(AudioError, match="multiples of ratio"):
        make_pairs(corpus, "train", ratio=3, patch_len=4096, stride=2048)
    with pytest.raises(ConfigError, match="split"):
        make_pairs(corpus, "dev")


def test_dataset_batches(folder):
    pairs = make_pairs(folder_corpus(folder), "train", ratio=4, patch_len=4096, stride=2048, cache=False)
    x, y = next(iter(make_dataset(pairs, batch_size=4)))
    assert tuple(x.shape) == (4, 4096, 1) and tuple(y.shape) == (4, 4096, 1)
    first = [next(iter(make_dataset(pairs, 4, seed=3)))[1].numpy() for _ in range(2)]
    np.testing.assert_array_equal(first[0], first[1])


def test_corpus_manifest_round_trip(folder, tmp_path):
    c = folder_corpus(folder)
    c.to_json(tmp_path / "m.json")
    d = Corpus.from_json(tmp_path / "m.json")
    assert [x.path for x in d.clips] == [x.path for x in c.clips] and d.fingerprint() == c.fingerprint()


def test_embedded_speech_slice_builds_offline():
    from srlib.data import build_speech

    corpus = build_speech(max_per_language=1)
    assert set(corpus.groups("test")) == {"en", "en_GB", "de", "ru", "es"}
    assert set(corpus.groups("val")) == {"nl", "it"}
    assert all(c.meta["bandwidth_hz"] > 4000 and c.meta["source_sr_hz"] >= 22050 for c in corpus.clips)
    x = corpus.load(corpus.clips[0], 16000)
    assert x.ndim == 1 and 0.5 < np.abs(x).max() <= 0.91


def test_embedded_music_slice_builds_offline():
    from srlib.data import build_music

    corpus = build_music(minutes=0.5)
    clip = corpus.clips[0]
    assert clip.split == "test" and clip.source == "music21"
    assert all(c.meta["bandwidth_hz"] > 16000 for c in corpus.clips)  # real content above 16 kHz (the percussion)
    assert all(p in (6, 19, 40, 41, 42, 48, 56, 61, 68, 80, 81) for p in clip.meta["programs"])
    again = build_music(minutes=0.5)
    assert [c.path for c in again.clips] == [c.path for c in corpus.clips]


# --- Spotify, against a fake API on 127.0.0.1 ----------------------------------------------------

def _fake_spotify(tracks, mp3_bytes):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def _json(self, obj):
            body = json.dumps(obj).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):  # token endpoint
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self._json({"access_token": "fake", "token_type": "Bearer", "expires_in": 3600})

        def do_GET(self):
            if self.path.startswith("/v1/playlists/"):
                assert self.headers["Authorization"] == "Bearer fake"
                self._json({"items": [{"track": t} for t in tracks], "next": None})
            elif self.path.startswith("/previews/"):
                self.send_response(200)
                self.send_header("Content-Length", str(len(mp3_bytes)))
                self.end_headers()
                self.wfile.write(mp3_bytes)
            else:
                self.send_response(404)
                self.end_headers()

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def mp3_bytes(tmp_path):
    import soundfile as sf

    path = tmp_path / "p.mp3"
    t = np.arange(44100) / 44100
    sf.write(path, 0.3 * np.sin(2 * np.pi * 440 * t), 44100, format="MP3")
    return path.read_bytes()


def _run(server, monkeypatch, tmp_path):
    from srlib.data import spotify_corpus

    monkeypatch.setenv("SPOTIPY_CLIENT_ID", "id")
    monkeypatch.setenv("SPOTIPY_CLIENT_SECRET", "secret")
    base = f"http://127.0.0.1:{server.server_address[1]}"
    return spotify_corpus("https://open.spotify.com/playlist/abc123", tmp_path / "previews",
                          api_prefix=f"{base}/v1/", token_url=f"{base}/api/token"), base


def test_spotify_previews_downloaded(tmp_path, monkeypatch, mp3_bytes):
    tracks = [{"id": "t1", "name": "One", "artists": [{"name": "A"}], "preview_url": None}]
    server = _fake_spotify(tracks, mp3_bytes)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    tracks += [{"id": "t2", "name": "Two", "artists": [{"name": "B"}], "preview_url": f"{base}/previews/t2.mp3"}]
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    try:
        corpus, _ = _run(server, monkeypatch, tmp_path)
    finally:
        server.shutdown()
    assert [c.meta["id"] for c in corpus.clips] == ["t2"]
    x = corpus.load(corpus.clips[0], 16000)
    assert 15000 < len(x) < 17000  # one second of real (decoded) audio
    assert list(work.iterdir()) == []  # no token file (spotipy's default ".cache") in the working folder


def test_spotify_without_previews_says_why(tmp_path, monkeypatch, mp3_bytes):
    server = _fake_spotify([{"id": "t1", "name": "One", "artists": [{"name": "A"}], "preview_url": None}], mp3_bytes)
    try:
        with pytest.raises(DataSourceError, match="late 2024.*folder_corpus"):
            _run(server, monkeypatch, tmp_path)
    finally:
        server.shutdown()


# --- the CMU ARCTIC sentence from pysptk's source archive (a fake archive here: no download) -----

def _fake_sdist(payload, member=None):
    import io
    import tarfile

    from srlib.data.arctic import ARCTIC_MEMBER

    def fetch(dest):
        archive = dest / "pysptk-1.0.1.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            info = tarfile.TarInfo(member or ARCTIC_MEMBER)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
        return archive
    return fetch


def test_arctic_sentence_is_checked_and_cached(tmp_path, monkeypatch):
    import hashlib
    import io

    import soundfile as sf

    from srlib.data import arctic

    buf = io.BytesIO()
    sf.write(buf, 0.1 * np.sin(2 * np.pi * 300 * np.arange(16000) / 16000), 16000, format="WAV", subtype="PCM_16")
    wav = buf.getvalue()
    with pytest.raises(AudioError, match="SHA-256"):
        arctic.arctic_sentence_path(tmp_path / "a", fetch=_fake_sdist(wav))
    assert not (tmp_path / "a" / "arctic_a0007.wav").exists()
    with pytest.raises(AudioError, match="no pysptk"):
        arctic.arctic_sentence_path(tmp_path / "b", fetch=_fake_sdist(wav, member="other.wav"))
    monkeypatch.setattr(arctic, "ARCTIC_SHA256", hashlib.sha256(wav).hexdigest())
    path = arctic.arctic_sentence_path(tmp_path / "c", fetch=_fake_sdist(wav))
    assert path.read_bytes() == wav

    def no_fetch(dest):
        raise AssertionError("fetched again instead of using the cache")

    assert arctic.arctic_sentence_path(tmp_path / "c", fetch=no_fetch) == path
    x = arctic.arctic_sentence(8000, out_dir=tmp_path / "c", fetch=no_fetch)
    assert x.shape == (8000,) and x.dtype == np.float32


def test_random_gain_is_seeded_in_range_shared_by_input_and_target_and_redrawn_each_epoch(synthetic_pairs):
    from srlib.data import make_dataset

    pairs = synthetic_pairs(8, 256)

    def epoch(ds):
        (x, y), = [(x.numpy()[..., 0], y.numpy()[..., 0]) for x, y in ds]
        return x / pairs.x_in, y / pairs.hr

    ds = make_dataset(pairs, 8, shuffle=False, gain_db=(-40, 0))
    gx, gy = epoch(ds)
    np.testing.assert_allclose(gx, gy, rtol=1e-4)  # one gain per patch, input and target alike
    per_patch = gx[:, 0]
    np.testing.assert_allclose(gx, np.broadcast_to(per_patch[:, None], gx.shape), rtol=1e-4)
    assert ((per_patch >= 0.01 - 1e-6) & (per_patch <= 1 + 1e-6)).all() and per_patch.std() > 0
    assert not np.allclose(epoch(ds)[0][:, 0], per_patch)  # a new draw every epoch
    np.testing.assert_allclose(epoch(make_dataset(pairs, 8, shuffle=False, gain_db=(-40, 0)))[0][:, 0], per_patch)


def test_pairs_over_a_range_of_input_rates(folder):
    from srlib.audio import resample
    from srlib.data.pairs import Pairs

    corpus = folder_corpus(folder)
    pairs = make_pairs(corpus, "train", ratio=4, patch_len=4096, stride=4096, input_rates_hz=(4000, 12000))
    assert isinstance(pairs, Pairs) and pairs.lr.shape == (len(pairs), 0)
    rates = pairs.low_sr_hz
    assert rates.shape == (len(pairs),) and rates.min() >= 4000 and rates.max() <= 12000 and len(set(rates)) > 3
    # each clip keeps one rate, and its input is the clip resampled to that rate and back: no band above it
    for i in np.unique(pairs.clip_index):
        assert len(set(rates[pairs.clip_index == i])) == 1
    k = int(np.argmin(rates))
    window = np.hanning(4096)
    spectrum = np.abs(np.fft.rfft(window * pairs.x_in[k])) ** 2
    target = np.abs(np.fft.rfft(window * pairs.hr[k])) ** 2
    above = np.fft.rfftfreq(4096, 1 / 16000) > rates[k] / 2 + 200
    assert spectrum[above].sum() < 1e-6 * spectrum.sum() and target[above].sum() > 1e-3 * target.sum()
    again = make_pairs(corpus, "train", ratio=4, patch_len=4096, stride=4096, input_rates_hz=(4000, 12000))
    np.testing.assert_array_equal(again.low_sr_hz, rates)  # the cache keeps the rates
    one_rate = make_pairs(corpus, "train", ratio=4, patch_len=4096, stride=4096)
    assert one_rate.low_sr_hz is None and one_rate.lr.shape[1] == 1024
    assert resample(np.zeros(4000, np.float32), 4000, 16000).shape == (16000,)
    with pytest.raises(AudioError, match="input_rates_hz"):
        make_pairs(corpus, "train", ratio=4, patch_len=4096, stride=4096, input_rates_hz=(8000, 12000))


def test_a_second_input_rides_along_and_is_not_scaled_by_the_gain(synthetic_pairs):
    pairs = synthetic_pairs(8, 256)
    extra = np.arange(8, dtype=np.float32)[:, None]
    (x, c), y = next(iter(make_dataset(pairs, 8, shuffle=False, gain_db=(-40, 0), extra=extra)))
    assert x.shape == (8, 256, 1) and y.shape == (8, 256, 1)
    np.testing.assert_array_equal(c.numpy(), extra)
    np.testing.assert_allclose(x.numpy()[..., 0] / pairs.x_in, y.numpy()[..., 0] / pairs.hr, rtol=1e-4)
