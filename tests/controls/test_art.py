"""The album art cache against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from art_server import PNG, ArtServer

from audio_service._model._models import MediaItem
from audio_service._surfaces._art import ArtCache, ArtError, ArtFollower, default_art_directory


@pytest.fixture
async def server() -> AsyncIterator[ArtServer]:
    server = ArtServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def cache(tmp_path: Path) -> AsyncIterator[ArtCache]:
    cache = ArtCache(tmp_path / "art", timeout=5)
    yield cache
    await cache.aclose()


def path_of(uri: str) -> Path:
    parts = urlsplit(uri)
    assert parts.scheme == "file"
    return Path(parts.path)


async def test_download_becomes_a_local_file(cache: ArtCache, server: ArtServer) -> None:
    server.image("/cover.png")
    url = server.url("/cover.png")
    assert cache.lookup(url) is None
    local = await cache.fetch(url, {"Authorization": "Bearer x"})
    path = path_of(local)
    assert path.parent == cache.directory
    assert path.suffix == ".png"
    assert path.read_bytes() == PNG
    assert cache.lookup(url) == local
    assert await cache.fetch(url) == local
    assert server.hits["/cover.png"] == 1
    assert server.request_headers["/cover.png"]["authorization"] == "Bearer x"
    assert server.request_headers["/cover.png"]["host"] == f"127.0.0.1:{server.port}"
    assert cache.entries == 1
    assert cache.size == len(PNG)


async def test_chunked_and_unsized_bodies(cache: ArtCache, server: ArtServer) -> None:
    server.image("/chunked.jpg", content_type="image/jpeg; charset=binary")
    server.chunked.add("/chunked.jpg")
    server.image("/close.webp", content_type="image/webp")
    server.no_length.add("/close.webp")
    chunked = await cache.fetch(server.url("/chunked.jpg"))
    unsized = await cache.fetch(server.url("/close.webp"))
    assert path_of(chunked).read_bytes() == PNG
    assert path_of(chunked).suffix == ".jpg"
    assert path_of(unsized).read_bytes() == PNG


async def test_file_uris_pass_through(cache: ArtCache) -> None:
    uri = "file:///usr/share/art/cover%20one.png"
    assert cache.lookup(uri) == uri
    assert await cache.fetch(uri) == uri
    assert cache.entries == 0


async def test_other_schemes(cache: ArtCache) -> None:
    assert cache.lookup("content://media/1") is None
    with pytest.raises(ValueError, match="uri"):
        await cache.fetch("ftp://example.com/a.png")
    with pytest.raises(TypeError, match="uri"):
        cache.lookup(None)  # type: ignore[arg-type]


async def test_not_found(cache: ArtCache, server: ArtServer) -> None:
    with pytest.raises(ArtError, match="404"):
        await cache.fetch(server.url("/missing.png"))
    assert cache.entries == 0
    assert not cache.directory.exists() or not any(cache.directory.iterdir())


async def test_wrong_content_type(cache: ArtCache, server: ArtServer) -> None:
    server.image("/page", body=b"<html></html>", content_type="text/html")
    with pytest.raises(ArtError, match="text/html"):
        await cache.fetch(server.url("/page"))
    assert cache.entries == 0


@pytest.mark.parametrize("mode", ["sized", "chunked", "unsized"])
async def test_oversized_body(tmp_path: Path, server: ArtServer, mode: str) -> None:
    cache = ArtCache(tmp_path, max_size=len(PNG) - 1)
    server.image("/big.png")
    if mode == "chunked":
        server.chunked.add("/big.png")
    elif mode == "unsized":
        server.no_length.add("/big.png")
    with pytest.raises(ArtError, match="max_size"):
        await cache.fetch(server.url("/big.png"))
    assert cache.entries == 0


async def test_redirects_are_followed_up_to_the_cap(tmp_path: Path, server: ArtServer) -> None:
    server.image("/final.png")
    server.status("/r1", 302, {"Location": "/final.png"})
    server.status("/r2", 301, {"Location": server.url("/r1")})
    server.status("/r3", 307, {"Location": "r2"})
    server.status("/r4", 308, {"Location": "/r3"})
    cache = ArtCache(tmp_path, max_redirects=3)
    local = await cache.fetch(server.url("/r3"))
    assert path_of(local).read_bytes() == PNG
    # The art is cached under the URI asked for, not the one redirected to.
    assert cache.lookup(server.url("/r3")) == local
    with pytest.raises(ArtError, match="more than 3 redirects"):
        await cache.fetch(server.url("/r4"))
    assert server.hits["/final.png"] == 1
    no_redirects = ArtCache(tmp_path / "strict", max_redirects=0)
    with pytest.raises(ArtError, match="redirects"):
        await no_redirects.fetch(server.url("/r1"))


async def test_redirect_to_another_scheme_is_refused(cache: ArtCache, server: ArtServer) -> None:
    server.status("/evil", 302, {"Location": "file:///etc/passwd"})
    with pytest.raises(ArtError, match="non-HTTP"):
        await cache.fetch(server.url("/evil"))


async def test_slow_server_times_out(tmp_path: Path, server: ArtServer) -> None:
    server.slow("/slow.png")
    cache = ArtCache(tmp_path, timeout=0.2)
    with pytest.raises(ArtError, match=r"within 0\.2 s"):
        await cache.fetch(server.url("/slow.png"))
    assert cache.entries == 0


async def test_refused_connection(cache: ArtCache, server: ArtServer) -> None:
    url = server.url("/x.png")
    await server.stop()
    with pytest.raises(ArtError):
        await cache.fetch(url)


async def test_concurrent_requests_share_one_download(cache: ArtCache, server: ArtServer) -> None:
    server.slow("/shared.png")
    url = server.url("/shared.png")
    waiters = [asyncio.ensure_future(cache.fetch(url)) for _ in range(5)]
    await server.wait_hit("/shared.png")
    server.release.set()
    results = await asyncio.gather(*waiters)
    assert len(set(results)) == 1
    assert server.hits["/shared.png"] == 1


async def test_one_cancelled_waiter_does_not_cancel_the_others(
    cache: ArtCache, server: ArtServer
) -> None:
    server.slow("/shared.png")
    url = server.url("/shared.png")
    first = asyncio.ensure_future(cache.fetch(url))
    second = asyncio.ensure_future(cache.fetch(url))
    await asyncio.sleep(0)
    first.cancel()
    server.release.set()
    assert path_of(await second).read_bytes() == PNG
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_lru_eviction_by_entries_and_bytes(tmp_path: Path, server: ArtServer) -> None:
    for name in "abcd":
        server.image(f"/{name}.png")
    cache = ArtCache(tmp_path, max_entries=2)
    a = await cache.fetch(server.url("/a.png"))
    b = await cache.fetch(server.url("/b.png"))
    assert cache.lookup(server.url("/a.png")) == a  # a is now the most recent
    await cache.fetch(server.url("/c.png"))
    assert cache.lookup(server.url("/b.png")) is None
    assert not path_of(b).exists()
    assert path_of(a).exists()
    assert cache.entries == 2

    by_bytes = ArtCache(tmp_path / "bytes", max_bytes=len(PNG) * 2 + 10)
    for name in "abc":
        await by_bytes.fetch(server.url(f"/{name}.png"))
    assert by_bytes.entries == 2
    assert by_bytes.size <= by_bytes.max_bytes
    assert by_bytes.lookup(server.url("/a.png")) is None


async def test_lru_order_survives_a_restart(tmp_path: Path, server: ArtServer) -> None:
    for name in "abc":
        server.image(f"/{name}.png")
    cache = ArtCache(tmp_path, max_entries=2)
    a = await cache.fetch(server.url("/a.png"))
    b = await cache.fetch(server.url("/b.png"))
    # Make "a" clearly older than "b" on disk, whatever the file system's time resolution.
    os.utime(path_of(a), (1_000_000, 1_000_000))
    (tmp_path / ".leftover.part").write_bytes(b"partial")
    reopened = ArtCache(tmp_path, max_entries=2)
    assert reopened.entries == 2
    assert not (tmp_path / ".leftover.part").exists()
    await reopened.fetch(server.url("/c.png"))
    assert reopened.lookup(server.url("/a.png")) is None
    assert reopened.lookup(server.url("/b.png")) == b


async def test_file_deleted_behind_the_cache_is_a_miss(cache: ArtCache, server: ArtServer) -> None:
    server.image("/a.png")
    local = await cache.fetch(server.url("/a.png"))
    path_of(local).unlink()
    assert cache.lookup(server.url("/a.png")) is None
    assert cache.entries == 0


async def test_store_raw_bytes(cache: ArtCache) -> None:
    local = await cache.store(PNG, content_type="image/png")
    assert path_of(local).read_bytes() == PNG
    assert path_of(local).suffix == ".png"
    assert await cache.store(bytearray(PNG), content_type="image/png") == local
    assert cache.entries == 1
    other = await cache.store(b"\xff\xd8\xff jpeg")
    assert other != local
    assert path_of(other).suffix == ".jpg"


@pytest.mark.parametrize(
    ("data", "content_type", "error", "match"),
    [
        (b"", "image/png", ValueError, "data"),
        (b"x", "text/plain", ValueError, "content_type"),
        ("text", "image/png", TypeError, "data"),
        (b"x" * 11, "image/png", ValueError, "max_size"),
    ],
)
async def test_store_rejects_bad_input(
    tmp_path: Path, data: object, content_type: str, error: type[Exception], match: str
) -> None:
    cache = ArtCache(tmp_path, max_size=10)
    with pytest.raises(error, match=match):
        await cache.store(data, content_type=content_type)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"max_bytes": 0}, ValueError, "max_bytes"),
        ({"max_entries": 1.5}, TypeError, "max_entries"),
        ({"timeout": float("inf")}, ValueError, "timeout"),
        ({"max_redirects": -1}, ValueError, "max_redirects"),
        ({"max_size": True}, TypeError, "max_size"),
        ({"directory": 3}, TypeError, "directory"),
    ],
)
def test_bad_arguments_name_the_field(
    kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        ArtCache(**kwargs)  # type: ignore[arg-type]


async def test_bad_headers_are_refused(cache: ArtCache, server: ArtServer) -> None:
    with pytest.raises(ValueError, match="header"):
        await cache.fetch(server.url("/a.png"), {"X-Evil": "a\r\nHost: other"})
    assert server.hits["/a.png"] == 0


def test_default_directory_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_art_directory() == tmp_path / "audio-service" / "art"
    assert ArtCache().directory == tmp_path / "audio-service" / "art"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert default_art_directory() == Path.home() / ".cache" / "audio-service" / "art"


# ----------------------------------------------------------------------- follower


class Ready:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.event = asyncio.Event()

    def __call__(self, item: MediaItem, uri: str) -> None:
        self.calls.append((item.id, uri))
        self.event.set()


def item(media_id: str, art_uri: str | None) -> MediaItem:
    return MediaItem(id=media_id, title=media_id, art_uri=art_uri)


async def test_follower_answers_at_once_and_calls_back_when_ready(
    cache: ArtCache, server: ArtServer
) -> None:
    server.slow("/a.png")
    ready = Ready()
    follower = cache.follower(ready)
    a = item("a", server.url("/a.png"))
    # The state update is not delayed by the slow server: resolve answers synchronously.
    assert follower.resolve(a) is None
    assert follower.resolve(a) is None  # a repeat does not start a second download
    server.release.set()
    async with asyncio.timeout(5):
        await ready.event.wait()
    local = cache.lookup(server.url("/a.png"))
    assert ready.calls == [("a", local)]
    assert server.hits["/a.png"] == 1
    assert follower.resolve(a) == local  # now immediate


async def test_follower_drops_stale_results(cache: ArtCache, server: ArtServer) -> None:
    server.slow("/old.png")
    server.image("/new.png")
    ready = Ready()
    follower = cache.follower(ready)
    assert follower.resolve(item("a", server.url("/old.png"))) is None
    await server.wait_hit("/old.png")
    # The same item with other art, then another item: only the newest result counts.
    assert follower.resolve(item("a", server.url("/new.png"))) is None
    server.release.set()
    async with asyncio.timeout(5):
        await ready.event.wait()
    await asyncio.sleep(0.05)
    assert ready.calls == [("a", cache.lookup(server.url("/new.png")))]


async def test_follower_same_art_for_another_item(cache: ArtCache, server: ArtServer) -> None:
    server.slow("/album.png")
    ready = Ready()
    follower = cache.follower(ready)
    follower.resolve(item("track1", server.url("/album.png")))
    follower.resolve(item("track2", server.url("/album.png")))
    server.release.set()
    async with asyncio.timeout(5):
        await ready.event.wait()
    assert [media_id for media_id, _ in ready.calls] == ["track2"]


async def test_follower_file_and_missing_art(cache: ArtCache) -> None:
    ready = Ready()
    follower = ArtFollower(cache, ready)
    assert follower.resolve(item("a", "file:///art/a.png")) == "file:///art/a.png"
    assert follower.resolve(item("b", None)) is None
    assert follower.resolve(None) is None
    assert follower.resolve(item("c", "content://x")) is None
    with pytest.raises(TypeError, match="item"):
        follower.resolve("a")  # type: ignore[arg-type]
    await asyncio.sleep(0.01)
    assert ready.calls == []


async def test_follower_failure_is_logged_not_raised(
    cache: ArtCache, server: ArtServer, caplog: pytest.LogCaptureFixture
) -> None:
    ready = Ready()
    follower = cache.follower(ready)
    follower.resolve(item("a", server.url("/missing.png")))
    await follower.wait()
    assert "404" in caplog.text
    assert ready.calls == []


async def test_follower_close_cancels_the_download(cache: ArtCache, server: ArtServer) -> None:
    server.slow("/a.png")
    ready = Ready()
    follower = cache.follower(ready)
    follower.resolve(item("a", server.url("/a.png")))
    await server.wait_hit("/a.png")
    follower.close()
    await asyncio.sleep(0.05)
    server.release.set()
    await asyncio.sleep(0.05)
    assert ready.calls == []
    assert cache.lookup(server.url("/a.png")) is None
