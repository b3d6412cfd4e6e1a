"""The seeds' ``AudioServiceWidget`` for asyncio UIs: connected while the UI is up."""

from __future__ import annotations

from types import TracebackType

from audio_service._api._client import AudioService, AudioServiceClient

__all__ = ["AudioServiceWidget"]


class AudioServiceWidget:
    """Connects ``client`` to the service for the span of an ``async with`` block.

    Wrap the part of an app that shows the service (a window's lifetime, a
    Textual app's ``run_async``)::

        async with AudioServiceWidget(app_id="org.example.Podcasts") as service:
            await service.play()

    On entry it connects (:meth:`AudioServiceClient.connect`), on exit it
    disconnects, also when the block raised; the service plays on. A block
    may call ``start`` as well: it finds the client connected.
    """

    def __init__(
        self,
        app_id: str | None = None,
        *,
        in_process: bool | None = None,
        client: AudioServiceClient = AudioService,
    ) -> None:
        self._app_id = app_id
        self._in_process = in_process
        self._client = client

    async def __aenter__(self) -> AudioServiceClient:
        await self._client.connect(self._app_id, in_process=self._in_process)
        return self._client

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._client.disconnect()
