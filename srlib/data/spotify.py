"""A music corpus from a Spotify playlist's 30-second previews (the seed project's music source).

Uses Spotipy with the client-credentials flow: set ``SPOTIPY_CLIENT_ID`` and
``SPOTIPY_CLIENT_SECRET`` in the environment. For each track of the playlist
that has a ``preview_url``, the MP3 preview is downloaded to
``out_dir/<track id>.mp3``; the group of a clip is its first artist, so splits
are artist-disjoint.

Since late 2024 the Spotify Web API no longer returns preview URLs to newly
registered apps, so most users will get none: then this stops with a message
that says so and points to :func:`srlib.data.folder_corpus` (a folder of your
own music files). The tests run it against a small fake of the API served on
127.0.0.1, never the real service.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..audio import atomic_output
from ..errors import DataSourceError
from .corpus import Clip, Corpus, group_split

__all__ = ["spotify_corpus", "NO_PREVIEWS_MESSAGE"]

NO_PREVIEWS_MESSAGE = (
    "none of the {n} tracks of playlist {playlist} has a preview URL. Spotify stopped returning "
    "30-second preview URLs to newly registered apps in late 2024, so this source only works for "
    "older apps. Use a folder of your own audio instead: srlib.data.folder_corpus('path/to/music')."
)


def _client(api_prefix: str | None, token_url: str | None):
    import spotipy
    from spotipy.cache_handler import MemoryCacheHandler
    from spotipy.oauth2 import SpotifyClientCredentials, SpotifyOauthError

    try:
        # the token lives in memory: spotipy's default writes a ".cache" file into the working folder
        auth = SpotifyClientCredentials(cache_handler=MemoryCacheHandler())
    except SpotifyOauthError as exc:
        raise DataSourceError(f"Spotify credentials: {exc} (set SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT_SECRET)") from None
    if token_url:
        auth.OAUTH_TOKEN_URL = token_url
    sp = spotipy.Spotify(auth_manager=auth, requests_timeout=10, retries=0)
    if api_prefix:
        sp.prefix = api_prefix
    return sp


def _playlist_id(playlist: str) -> str:
    m = re.search(r"playlist[/:]([A-Za-z0-9]+)", playlist)
    return m.group(1) if m else playlist


def spotify_corpus(playlist: str, out_dir, *, client=None, api_prefix: str | None = None,
                   token_url: str | None = None, seed: int = 0, fractions=(0.8, 0.1, 0.1)) -> Corpus:
    """Download the previews of a playlist and index them as a corpus.

    Parameters
    ----------
    playlist : str
        Playlist id, URI (``spotify:playlist:ID``) or URL.
    out_dir : str or Path
        Where the MP3 previews go (existing files are reused, not downloaded again).
    client : spotipy.Spotify, optional
        A ready client; default: client credentials from the environment.
    api_prefix, token_url : str, optional
        Point the client at another API server (the tests' local fake).
    seed, fractions
        Artist-disjoint split (see :func:`srlib.data.group_split`).

    Returns
    -------
    Corpus with ``source="spotify"``; ``meta`` holds track name, artist and id.

    Raises
    ------
    DataSourceError
        Missing credentials, an API error, or no previews at all.
    """
    import requests
    import spotipy

    sp = client or _client(api_prefix, token_url)
    pid = _playlist_id(playlist)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        page = sp.playlist_items(pid, additional_types=("track",))
        items = []
        while page:
            items += page.get("items", [])
            page = sp.next(page) if page.get("next") else None
    except (spotipy.SpotifyException, requests.RequestException) as exc:
        raise DataSourceError(f"Spotify playlist {pid}: the API call failed ({exc})") from None
    tracks = [it["track"] for it in items if it.get("track")]
    with_preview = [t for t in tracks if t.get("preview_url")]
    if not with_preview:
        raise DataSourceError(NO_PREVIEWS_MESSAGE.format(n=len(tracks), playlist=pid))
    clips = []
    for t in with_preview:
        dest = out_dir / f"{t['id']}.mp3"
        if not dest.exists():
            try:
                resp = requests.get(t["preview_url"], timeout=30)
                resp.raise_for_status()
            except requests.RequestException as exc:
                raise DataSourceError(f"preview of track {t['id']}: download failed ({exc})") from None
            with atomic_output(dest, overwrite=True) as tmp:
                Path(tmp).write_bytes(resp.content)
        artist = (t.get("artists") or [{"name": "unknown"}])[0]["name"]
        clips.append(Clip(str(dest.resolve()), artist, group_split(artist, fractions, seed), "spotify", 30.0,
                          {"track": t.get("name"), "artist": artist, "id": t["id"]}))
    return Corpus(f"spotify-{pid}", clips)
