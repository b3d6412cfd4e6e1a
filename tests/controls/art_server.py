"""A tiny HTTP/1.1 server on 127.0.0.1 for the album art tests; it counts every request."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable, Callable

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 200

Route = Callable[[dict[str, str]], Awaitable[tuple[int, dict[str, str], bytes]]]


class ArtServer:
    def __init__(self) -> None:
        self.hits: collections.Counter[str] = collections.Counter()
        self.request_headers: dict[str, dict[str, str]] = {}
        self.routes: dict[str, Route] = {}
        self.chunked: set[str] = set()
        self.no_length: set[str] = set()
        self._server: asyncio.Server | None = None
        self.release = asyncio.Event()
        self.port = 0
        self._hit = asyncio.Condition()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def image(self, path: str, body: bytes = PNG, content_type: str = "image/png") -> None:
        async def route(_: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
            return 200, {"Content-Type": content_type}, body

        self.routes[path] = route

    def status(self, path: str, status: int, headers: dict[str, str] | None = None) -> None:
        async def route(_: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
            return status, headers or {"Content-Type": "text/plain"}, b"nope"

        self.routes[path] = route

    def slow(self, path: str) -> None:
        """Answers only once ``release`` is set."""

        async def route(_: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
            await self.release.wait()
            return 200, {"Content-Type": "image/png"}, PNG

        self.routes[path] = route

    async def wait_hit(self, path: str) -> None:
        async with asyncio.timeout(5), self._hit:
            await self._hit.wait_for(lambda: self.hits[path] > 0)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            request_line, *lines = head.split("\r\n")
            path = request_line.split(" ")[1]
            headers = {}
            for line in lines:
                name, _, value = line.partition(":")
                if name:
                    headers[name.strip().lower()] = value.strip()
            self.hits[path] = self.hits[path] + 1
            self.request_headers[path] = headers
            async with self._hit:
                self._hit.notify_all()
            route = self.routes.get(path)
            if route is None:
                status, out, body = 404, {"Content-Type": "text/plain"}, b"not found"
            else:
                status, out, body = await route(headers)
            text = f"HTTP/1.1 {status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in out.items())
            if path in self.chunked:
                writer.write((text + "Transfer-Encoding: chunked\r\n\r\n").encode())
                for start in range(0, len(body), 50):
                    piece = body[start : start + 50]
                    writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                writer.write(b"0\r\n\r\n")
            elif path in self.no_length:
                writer.write((text + "\r\n").encode() + body)
            else:
                writer.write((text + f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
