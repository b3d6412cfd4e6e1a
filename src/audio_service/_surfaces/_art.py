"""Album art as local files: remote art downloaded off the hot path, kept in an LRU on disk.

Desktop shells read ``mpris:artUrl`` and the notification's ``image-path``
themselves, and the shell cannot fetch ``https://`` art on our behalf (or does
so on every update, flickering). So art is made local: ``file://`` URIs pass
through, ``http(s)://`` art is downloaded into
``$XDG_CACHE_HOME/audio-service/art/`` and raw bytes (art from tags) are
written there, and every caller gets a ``file://`` URI back.

Publishing never waits for a download (audio_service #16, #944): an
:class:`ArtFollower` answers at once with what is already local and calls back
when the download is done, dropping the result when the item (or its art)
changed in the meantime. Downloads use asyncio streams, so a timeout really
stops them; they are capped in time (``timeout``, redirects included), size
(``max_size``) and redirects (``max_redirects``), and must be ``image/*``.
Concurrent requests for one URL share one download.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import os
import secrets
import ssl
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

from audio_service._model._models import MediaItem
from audio_service._shared_tasks import SharedTasks
from audio_session._checks import is_int, is_number

__all__ = ["ArtCache", "ArtError", "ArtFollower", "default_art_directory"]

_log = logging.getLogger("audio_service.art")

_MIB: Final = 1024 * 1024
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_EXTENSIONS: Final = {
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/bmp": ".bmp",
    "image/svg+xml": ".svg",
    "image/avif": ".avif",
    "image/tiff": ".tiff",
    "image/x-icon": ".ico",
}
_PART_SUFFIX: Final = ".part"
_USER_AGENT: Final = "audio-service-kit (album art)"


class ArtError(Exception):
    """Album art could not be made local; the message says why."""


def default_art_directory() -> Path:
    """``$XDG_CACHE_HOME/audio-service/art`` (``~/.cache/...`` when the variable is unset)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "audio-service" / "art"


def _positive(value: object, field: str, *, integer: bool) -> Any:
    kind = "an int" if integer else "a number"
    if not is_number(value) or (integer and not isinstance(value, int)):
        raise TypeError(f"{field} must be {kind}, not {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{field} must be > 0, not {value!r}")
    return value


def _stem(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def _media_type(header: str | None) -> str:
    return (header or "").split(";", 1)[0].strip().lower()


def _check_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise TypeError(f"headers must be a mapping of str to str, not {headers!r}")
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(f"headers must map str to str, not {name!r}: {value!r}")
        if any(c in name + value for c in "\r\n\0") or not name or ":" in name:
            raise ValueError(f"headers: {name!r} is not a valid HTTP header")
        checked[name] = value
    return checked


class _Response:
    def __init__(self, status: int, headers: dict[str, str], reader: asyncio.StreamReader) -> None:
        self.status = status
        self.headers = headers
        self.reader = reader


class ArtCache:
    """Album art files in ``directory``, bounded to ``max_entries`` files and ``max_bytes``.

    The least recently used files go first (use survives restarts through the
    files' modification times). ``timeout`` (seconds) bounds a whole download,
    redirects included; ``max_size`` (bytes) bounds one image. Use it from one
    event loop.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        *,
        max_bytes: int = 64 * _MIB,
        max_entries: int = 256,
        timeout: float = 15.0,
        max_redirects: int = 3,
        max_size: int = 8 * _MIB,
        max_downloads: int = 4,
    ) -> None:
        if directory is not None and not isinstance(directory, str | os.PathLike):
            raise TypeError(f"directory must be a path or None, not {directory!r}")
        self.directory = Path(directory) if directory is not None else default_art_directory()
        self.max_bytes: int = _positive(max_bytes, "max_bytes", integer=True)
        self.max_entries: int = _positive(max_entries, "max_entries", integer=True)
        self.timeout = float(_positive(timeout, "timeout", integer=False))
        if not is_int(max_redirects):
            raise TypeError(f"max_redirects must be an int, not {max_redirects!r}")
        if max_redirects < 0:
            raise ValueError(f"max_redirects must not be negative, not {max_redirects}")
        self.max_redirects = max_redirects
        self.max_size: int = _positive(max_size, "max_size", integer=True)
        self._limit = asyncio.Semaphore(_positive(max_downloads, "max_downloads", integer=True))
        #: File name by stem, least recently used first, with each file's size.
        self._index: OrderedDict[str, tuple[str, int]] = OrderedDict()
        self._downloads: SharedTasks[str, str] = SharedTasks()
        self._ssl: ssl.SSLContext | None = None
        self._load_index()

    # ------------------------------------------------------------------ public

    def lookup(self, uri: str) -> str | None:
        """The local ``file://`` URI for ``uri`` if there is one now, without any I/O wait.

        ``file://`` URIs are returned unchanged; ``http(s)`` art already cached
        returns its file (and counts as a use); anything else returns ``None``.
        """
        if not isinstance(uri, str):
            raise TypeError(f"uri must be a str, not {uri!r}")
        scheme = urlsplit(uri).scheme.lower()
        if scheme == "file":
            return uri
        if scheme not in ("http", "https"):
            return None
        return self._hit(_stem(uri))

    async def fetch(self, uri: str, headers: Mapping[str, str] | None = None) -> str:
        """``uri`` as a local ``file://`` URI, downloading it if needed.

        Raises :class:`ArtError` when the download fails (status, size, type,
        time, redirects) and :class:`ValueError` for a URI that is neither
        ``file`` nor ``http(s)``. Callers asking for one URL at once share one
        download; it is cancelled when the last of them is.
        """
        local = self.lookup(uri)
        if local is not None:
            return local
        if urlsplit(uri).scheme.lower() not in ("http", "https"):
            raise ValueError(f"uri must be a file, http or https URI, not {uri!r}")
        checked = _check_headers(headers)
        return await self._downloads.run(
            uri, lambda: self._download(uri, checked), f"album art {uri}"
        )

    async def store(self, data: bytes, *, content_type: str = "image/jpeg") -> str:
        """Write ``data`` (e.g. art from a file's tags) to the cache; its ``file://`` URI.

        Equal bytes share one file. Raises :class:`ValueError` for empty data,
        data over ``max_size`` or a ``content_type`` that is not ``image/*``.
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"data must be bytes, not {type(data).__name__}")
        data = bytes(data)
        if not data:
            raise ValueError("data must not be empty")
        if len(data) > self.max_size:
            raise ValueError(f"data is {len(data)} bytes, more than max_size ({self.max_size})")
        media_type = _media_type(content_type)
        if not media_type.startswith("image/"):
            raise ValueError(f"content_type must be image/*, not {content_type!r}")
        stem = "b" + _stem(hashlib.sha256(data).hexdigest())[:39]
        local = self._hit(stem)
        if local is not None:
            return local
        return await self._save(stem, media_type, data)

    def follower(self, on_ready: Callable[[MediaItem, str], object]) -> ArtFollower:
        """A tracker of one consumer's current item; see :class:`ArtFollower`."""
        return ArtFollower(self, on_ready)

    async def aclose(self) -> None:
        """Cancel the downloads under way and wait for them to end."""
        await self._downloads.cancel_all()

    @property
    def entries(self) -> int:
        """How many files the cache holds."""
        return len(self._index)

    @property
    def size(self) -> int:
        """The bytes the cache holds."""
        return sum(size for _, size in self._index.values())

    # ------------------------------------------------------------------- index

    def _load_index(self) -> None:
        try:
            scanned = list(os.scandir(self.directory))
        except FileNotFoundError:
            return
        except OSError as error:
            _log.warning("cannot read the album art cache %s: %s", self.directory, error)
            return
        files: list[tuple[float, str, str, int]] = []
        for entry in scanned:
            if entry.name.endswith(_PART_SUFFIX):
                # Left by a process killed mid-write.
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                continue
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False):
                    info = entry.stat(follow_symlinks=False)
                    stem = entry.name.split(".", 1)[0]
                    files.append((info.st_mtime, stem, entry.name, info.st_size))
        for _, stem, name, size in sorted(files):
            self._index[stem] = (name, size)

    def _hit(self, stem: str) -> str | None:
        found = self._index.get(stem)
        if found is None:
            return None
        path = self.directory / found[0]
        try:
            # Records the use on disk too, so the LRU order survives a restart.
            os.utime(path)
        except OSError:
            del self._index[stem]
            return None
        self._index.move_to_end(stem)
        return path.as_uri()

    async def _save(self, stem: str, media_type: str, data: bytes) -> str:
        name = stem + _EXTENSIONS.get(media_type, ".img")
        path = await asyncio.to_thread(self._write, name, data)
        old = self._index.pop(stem, None)
        self._index[stem] = (name, len(data))
        victims = [self.directory / old[0]] if old is not None and old[0] != name else []
        total = self.size
        while len(self._index) > 1 and (
            len(self._index) > self.max_entries or total > self.max_bytes
        ):
            _, (victim, size) = self._index.popitem(last=False)
            total -= size
            victims.append(self.directory / victim)
        if victims:
            await asyncio.to_thread(_unlink_all, victims)
        return path.as_uri()

    def _write(self, name: str, data: bytes) -> Path:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        final = self.directory / name
        part = self.directory / f".{name}.{secrets.token_hex(4)}{_PART_SUFFIX}"
        try:
            with open(part, "xb") as file:
                file.write(data)
            os.replace(part, final)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(part)
            raise
        return final

    # ---------------------------------------------------------------- download

    async def _download(self, uri: str, headers: dict[str, str]) -> str:
        async with self._limit:
            try:
                async with asyncio.timeout(self.timeout):
                    media_type, data = await self._get_following(uri, headers)
            except TimeoutError:
                raise ArtError(f"{uri}: no complete answer within {self.timeout:g} s") from None
            except OSError as error:
                raise ArtError(f"{uri}: {error}") from error
        return await self._save(_stem(uri), media_type, data)

    async def _get_following(self, uri: str, headers: dict[str, str]) -> tuple[str, bytes]:
        url = uri
        for _ in range(self.max_redirects + 1):
            reader, writer = await self._request(url, headers)
            try:
                response = await self._response(url, reader)
                if response.status in _REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise ArtError(f"{url}: redirect {response.status} without a Location")
                    url = urljoin(url, location)
                    if urlsplit(url).scheme.lower() not in ("http", "https"):
                        raise ArtError(f"{uri}: redirected to a non-HTTP URI {url!r}")
                    continue
                if response.status != 200:
                    raise ArtError(f"{url}: HTTP status {response.status}")
                media_type = _media_type(response.headers.get("content-type"))
                if not media_type.startswith("image/"):
                    raise ArtError(f"{url}: content type {media_type or 'none'!r} is not image/*")
                return media_type, await self._body(url, response)
            finally:
                writer.close()
                with contextlib.suppress(OSError, ssl.SSLError):
                    await writer.wait_closed()
        raise ArtError(f"{uri}: more than {self.max_redirects} redirects")

    async def _request(
        self, url: str, headers: dict[str, str]
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        parts = urlsplit(url)
        secure = parts.scheme.lower() == "https"
        host = parts.hostname
        if not host:
            raise ArtError(f"{url}: no host")
        try:
            port = parts.port or (443 if secure else 80)
        except ValueError as error:
            raise ArtError(f"{url}: {error}") from None
        context: ssl.SSLContext | None = None
        if secure:
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            context = self._ssl
        reader, writer = await asyncio.open_connection(host, port, ssl=context, limit=64 * 1024)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        default_port = 443 if secure else 80
        authority = host if ":" not in host else f"[{host}]"
        if port != default_port:
            authority = f"{authority}:{port}"
        lines = {
            "Host": authority,
            "User-Agent": _USER_AGENT,
            "Accept": "image/*",
            "Accept-Encoding": "identity",
            **headers,
            "Connection": "close",
        }
        head = f"GET {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in lines.items())
        writer.write((head + "\r\n").encode("latin-1", "replace"))
        await writer.drain()
        return reader, writer

    async def _response(self, url: str, reader: asyncio.StreamReader) -> _Response:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            raise ArtError(f"{url}: the connection closed before a response") from None
        except asyncio.LimitOverrunError:
            raise ArtError(f"{url}: response headers too large") from None
        lines = head.decode("latin-1").split("\r\n")
        status_line = lines[0].split(" ", 2)
        if len(status_line) < 2 or not status_line[0].startswith("HTTP/"):
            raise ArtError(f"{url}: not an HTTP response")
        try:
            status = int(status_line[1])
        except ValueError:
            raise ArtError(f"{url}: bad status line {lines[0]!r}") from None
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                key = name.strip().lower()
                value = value.strip()
                headers[key] = f"{headers[key]}, {value}" if key in headers else value
        return _Response(status, headers, reader)

    async def _body(self, url: str, response: _Response) -> bytes:
        reader = response.reader
        too_big = ArtError(f"{url}: larger than max_size ({self.max_size} bytes)")
        if "chunked" in response.headers.get("transfer-encoding", "").lower():
            return await self._chunked(url, reader, too_big)
        length_text = response.headers.get("content-length")
        if length_text is not None:
            try:
                length = int(length_text)
            except ValueError:
                raise ArtError(f"{url}: bad Content-Length {length_text!r}") from None
            if length > self.max_size:
                raise too_big
            try:
                return await reader.readexactly(length)
            except asyncio.IncompleteReadError:
                raise ArtError(f"{url}: the body ended early") from None
        body = bytearray()
        while chunk := await reader.read(64 * 1024):
            body += chunk
            if len(body) > self.max_size:
                raise too_big
        return bytes(body)

    async def _chunked(self, url: str, reader: asyncio.StreamReader, too_big: ArtError) -> bytes:
        body = bytearray()
        try:
            while True:
                size_line = await reader.readuntil(b"\r\n")
                size = int(size_line.split(b";", 1)[0].strip(), 16)
                if size == 0:
                    return bytes(body)
                if len(body) + size > self.max_size:
                    raise too_big
                body += await reader.readexactly(size)
                await reader.readexactly(2)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            raise ArtError(f"{url}: malformed chunked body") from None


def _unlink_all(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


class ArtFollower:
    """Keeps one consumer's (MPRIS, a notification) art in step with its current item.

    Call :meth:`resolve` with each item before publishing it: it returns the
    local art URI when there is one now (publish it at once) or ``None``
    (publish without art). When a download was needed and succeeds,
    ``on_ready(item, file_uri)`` is called, unless :meth:`resolve` has since
    been called for another item id or art URI: stale results are dropped.
    """

    def __init__(self, cache: ArtCache, on_ready: Callable[[MediaItem, str], object]) -> None:
        if not callable(on_ready):
            raise TypeError(f"on_ready must be callable, not {on_ready!r}")
        self._cache = cache
        self._on_ready = on_ready
        self._current: tuple[str, str] | None = None
        self._task: asyncio.Task[None] | None = None

    def resolve(self, item: MediaItem | None) -> str | None:
        """The local art of ``item`` now, or ``None`` (a download may start)."""
        if item is not None and not isinstance(item, MediaItem):
            raise TypeError(f"item must be a MediaItem or None, not {item!r}")
        uri = item.art_uri if item is not None else None
        if item is None or not uri:
            self._follow(None)
            return None
        key = (item.id, uri)
        local = self._cache.lookup(uri)
        if local is not None or key == self._current:
            # The same item again (a state update): its download, if any, is under way.
            self._current = key
            return local
        self._follow(key)
        if urlsplit(uri).scheme.lower() in ("http", "https"):
            self._task = asyncio.get_running_loop().create_task(
                self._fetch(key, item), name=f"album art of {item.id}"
            )
        return None

    async def wait(self) -> None:
        """Wait until the download for the current item (if any) has ended."""
        task = self._task
        if task is not None:
            await asyncio.wait((task,))

    def close(self) -> None:
        """Stop following: drop the download under way and any later result."""
        self._follow(None)

    def _follow(self, key: tuple[str, str] | None) -> None:
        self._current = key
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _fetch(self, key: tuple[str, str], item: MediaItem) -> None:
        try:
            local = await self._cache.fetch(key[1], item.art_headers)
        except (ArtError, ValueError) as error:
            _log.warning("album art of %r not available: %s", item.id, error)
            return
        if self._current != key:
            return
        self._task = None
        try:
            self._on_ready(item, local)
        except Exception:
            _log.exception("the album art callback raised")
