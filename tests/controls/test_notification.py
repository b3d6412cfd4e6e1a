"""The media notification against a recording Notifications server on a private bus."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from art_server import ArtServer
from notification_server import PATH, Notifications, serve

from audio_service._model._events import (
    MediaItemChanged,
    ServiceSnapshot,
    ServiceStarted,
    ServiceStopped,
    StateChanged,
)
from audio_service._model._models import MediaControl, MediaItem, PlaybackState, ServiceConfig
from audio_service._service._core import ServiceCore
from audio_service._service._requests import Close, Pause, Play, Request, SkipToNext, SkipToPrevious
from audio_service._service._task import BackgroundAudioTask
from audio_service._surfaces._art import ArtCache
from audio_service._surfaces._capabilities import Capabilities
from audio_service._surfaces._linux._notification import MediaNotification
from audio_service._surfaces._startup import Surfaces
from audio_session.testing import PrivateSessionBus

ALL_CAPS = ["actions", "action-icons", "body", "body-markup", "persistence"]
TRANSPORT = (MediaControl.skip_to_previous, MediaControl.pause, MediaControl.skip_to_next)
SONG = MediaItem(id="s1", title="Song", artist="Artist & Co", album="<Album>")


@pytest.fixture
async def notifications(dbus_session: PrivateSessionBus) -> AsyncIterator[Notifications]:
    bus, server = await serve(dbus_session.address, ALL_CAPS)
    yield server
    bus.disconnect()


class Requests(list[Request]):
    def __init__(self) -> None:
        super().__init__()
        self.event = asyncio.Event()

    def __call__(self, request: Request) -> None:
        self.append(request)
        self.event.set()

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(5):
            while len(self) < count:
                self.event.clear()
                await self.event.wait()


@pytest.fixture
async def requests() -> Requests:
    return Requests()


@pytest.fixture
async def note(
    dbus_session: PrivateSessionBus, notifications: Notifications, requests: Requests
) -> AsyncIterator[MediaNotification]:
    note = MediaNotification(
        requests,
        app_name="Player",
        app_icon="player",
        desktop_entry="org.example.Player",
        bus_address=dbus_session.address,
    )
    assert await note.start()
    yield note
    await note.close()


def running(state: PlaybackState, item: MediaItem | None = SONG) -> ServiceSnapshot:
    return ServiceSnapshot(running=True, config=ServiceConfig(), state=state, media_item=item)


def playing(**changes: Any) -> PlaybackState:
    return PlaybackState(playing=True, controls=TRANSPORT, **changes)


async def test_shows_the_item_with_transport_buttons(
    note: MediaNotification, notifications: Notifications
) -> None:
    assert note.capabilities == frozenset(ALL_CAPS)
    art = "file:///music/cover%20art.png"
    note.on_event(running(playing(), SONG.copy_with(art_uri=art)))
    await note.flush()
    [call] = notifications.notify_calls
    assert call["app_name"] == "Player"
    assert call["app_icon"] == "player"
    assert call["replaces_id"] == 0
    assert call["summary"] == "Song"
    assert call["body"] == "Artist &amp; Co — &lt;Album&gt;"  # the server renders markup
    assert call["actions"] == [
        "media-skip-backward",
        "Previous",
        "media-playback-pause",
        "Pause",
        "media-skip-forward",
        "Next",
    ]
    assert call["expire_timeout"] == 0
    hints = call["hints"]
    assert hints["action-icons"] is True
    assert hints["resident"] is True
    assert hints["transient"] is True
    assert hints["image-path"] == art
    assert hints["desktop-entry"] == "org.example.Player"
    assert note.notification_id == call["id"]


async def test_replaced_in_place_and_only_on_change(
    note: MediaNotification, notifications: Notifications
) -> None:
    note.on_event(running(playing()))
    await note.flush()
    first = notifications.notify_calls[0]["id"]
    note.on_event(ServiceStarted())
    # A position update changes nothing shown: no call.
    note.on_event(StateChanged(state=playing(update_time=5.0)))
    await note.flush()
    assert len(notifications.notify_calls) == 1
    paused = PlaybackState(playing=False, controls=(MediaControl.play,))
    note.on_event(StateChanged(state=paused))
    await note.flush()
    second = notifications.notify_calls[-1]
    assert second["replaces_id"] == first
    assert second["id"] == first
    assert second["actions"] == ["media-playback-start", "Play"]
    note.on_event(MediaItemChanged(media_item=MediaItem(id="s2", title="Other")))
    await note.flush()
    third = notifications.notify_calls[-1]
    assert (third["replaces_id"], third["summary"], third["body"]) == (first, "Other", "")
    assert "image-path" not in third["hints"]
    assert notifications.open == {first}


async def test_buttons_follow_the_enabled_actions(
    note: MediaNotification, notifications: Notifications
) -> None:
    note.on_event(running(PlaybackState(playing=False)))
    await note.flush()
    assert notifications.notify_calls[-1]["actions"] == []
    assert "action-icons" not in notifications.notify_calls[-1]["hints"]
    note.on_event(StateChanged(state=PlaybackState(playing=True, controls=(MediaControl.play,))))
    await note.flush()
    # Playing without a pause action: no toggle to show.
    assert notifications.notify_calls[-1]["actions"] == []


@pytest.mark.parametrize(
    ("key", "request_"),
    [
        ("media-skip-backward", SkipToPrevious()),
        ("media-playback-start", Play()),
        ("media-playback-pause", Pause()),
        ("media-skip-forward", SkipToNext()),
    ],
)
async def test_action_invoked_becomes_a_request(
    note: MediaNotification,
    notifications: Notifications,
    requests: Requests,
    key: str,
    request_: Request,
) -> None:
    note.on_event(running(playing()))
    await note.flush()
    notifications.ActionInvoked(note.notification_id + 100, key)  # another app's notification
    notifications.ActionInvoked(note.notification_id, "default")  # a click on the body
    notifications.ActionInvoked(note.notification_id, key)
    await requests.wait_for(1)
    await asyncio.sleep(0.05)
    assert requests == [request_]


async def test_closed_when_the_service_stops(
    note: MediaNotification, notifications: Notifications
) -> None:
    note.on_event(running(playing()))
    await note.flush()
    shown = note.notification_id
    note.on_event(ServiceStopped())
    await note.flush()
    assert notifications.close_calls == [shown]
    assert note.notification_id == 0
    assert notifications.open == set()
    note.on_event(StateChanged(state=playing()))  # a late event does not bring it back: no item
    await note.flush()
    assert len(notifications.notify_calls) == 1


async def test_closed_when_the_item_goes_and_on_close(
    note: MediaNotification, notifications: Notifications
) -> None:
    note.on_event(running(playing()))
    await note.flush()
    note.on_event(MediaItemChanged(media_item=None))
    await note.flush()
    assert len(notifications.close_calls) == 1
    note.on_event(MediaItemChanged(media_item=SONG))
    await note.flush()
    shown = note.notification_id
    assert notifications.notify_calls[-1]["replaces_id"] == 0
    await note.close()
    assert notifications.close_calls[-1] == shown
    await note.close()


async def test_user_dismissal_keeps_playing_and_hides_until_the_item_changes(
    note: MediaNotification, notifications: Notifications, requests: Requests
) -> None:
    note.on_event(running(playing()))
    await note.flush()
    dismissed = note.notification_id
    notifications.dismiss(dismissed)
    for _ in range(50):  # the signal arrives through the bus
        if note.notification_id != dismissed:
            break
        await asyncio.sleep(0.01)
    assert note.notification_id == 0
    assert requests == []  # on a desktop, dismissing is not "stop the music"
    note.on_event(StateChanged(state=PlaybackState(playing=False, controls=TRANSPORT)))
    await note.flush()
    assert len(notifications.notify_calls) == 1
    note.on_event(MediaItemChanged(media_item=MediaItem(id="s2", title="Next song")))
    await note.flush()
    assert len(notifications.notify_calls) == 2
    assert notifications.notify_calls[-1]["replaces_id"] == 0


async def test_plain_text_server_without_action_icons(
    dbus_session: PrivateSessionBus, requests: Requests
) -> None:
    bus, server = await serve(dbus_session.address, ["actions", "body"])
    note = MediaNotification(requests, bus_address=dbus_session.address)
    try:
        assert await note.start()
        note.on_event(running(playing()))
        await note.flush()
        [call] = server.notify_calls
        assert call["body"] == "Artist & Co — <Album>"
        assert "action-icons" not in call["hints"]
        assert "desktop-entry" not in call["hints"]
        assert len(call["actions"]) == 6
    finally:
        await note.close()
        bus.disconnect()


async def test_server_without_actions_gets_no_buttons(
    dbus_session: PrivateSessionBus, requests: Requests
) -> None:
    bus, server = await serve(dbus_session.address, ["body"])
    note = MediaNotification(requests, bus_address=dbus_session.address)
    try:
        assert await note.start()
        note.on_event(running(playing()))
        await note.flush()
        assert server.notify_calls[0]["actions"] == []
    finally:
        await note.close()
        bus.disconnect()


async def test_no_server_is_skipped_and_logged_once(
    dbus_session: PrivateSessionBus, requests: Requests, caplog: pytest.LogCaptureFixture
) -> None:
    note = MediaNotification(requests, bus_address=dbus_session.address)
    with caplog.at_level(logging.INFO, logger="audio_service.notification"):
        assert not await note.start()
        assert not await note.start()
        note.on_event(running(playing()))
        await note.flush()
        note.on_event(ServiceStopped())
        await note.flush()
        await note.close()
    assert not note.available
    assert caplog.text.count("no desktop notification server") == 1


async def test_a_server_that_comes_later_or_restarts_shows_the_current_item(
    dbus_session: PrivateSessionBus, requests: Requests, caplog: pytest.LogCaptureFixture
) -> None:
    note = MediaNotification(requests, bus_address=dbus_session.address)
    with caplog.at_level(logging.INFO, logger="audio_service.notification"):
        assert not await note.start()  # the session's notification daemon is not up yet
        note.on_event(running(playing()))
        await note.flush()
        bus, server = await serve(dbus_session.address, ALL_CAPS)
        try:
            await server.wait(lambda: len(server.notify_calls) == 1)
            assert note.available
            assert server.notify_calls[0]["summary"] == "Song"
            assert server.notify_calls[0]["replaces_id"] == 0
        finally:
            bus.disconnect()
        # The daemon restarts (a new configuration, say): the new one shows the item afresh.
        for _ in range(200):
            if not note.available:
                break
            await asyncio.sleep(0.01)
        assert not note.available
        bus, again = await serve(dbus_session.address, ["actions", "body"])
        try:
            await again.wait(lambda: len(again.notify_calls) == 1)
            call = again.notify_calls[0]
            assert call["replaces_id"] == 0  # the old id means nothing to the new server
            assert call["body"] == "Artist & Co — <Album>"  # no body-markup now: plain text
            assert note.capabilities == frozenset({"actions", "body"})
        finally:
            await note.close()
            bus.disconnect()
    assert caplog.text.count("a desktop notification server is here now") == 1


async def test_no_bus_at_all(tmp_path: Path, requests: Requests) -> None:
    note = MediaNotification(requests, bus_address=f"unix:path={tmp_path}/absent")
    assert not await note.start()
    note.on_event(running(playing()))
    await note.flush()
    await note.close()


async def test_remote_art_is_shown_when_ready(
    dbus_session: PrivateSessionBus,
    notifications: Notifications,
    requests: Requests,
    tmp_path: Path,
) -> None:
    server = ArtServer()
    await server.start()
    server.slow("/cover.png")
    cache = ArtCache(tmp_path)
    note = MediaNotification(requests, art=cache, bus_address=dbus_session.address)
    try:
        assert await note.start()
        note.on_event(running(playing(), SONG.copy_with(art_uri=server.url("/cover.png"))))
        await note.flush()
        assert "image-path" not in notifications.notify_calls[0]["hints"]  # not held up
        server.release.set()
        await notifications.wait(lambda: len(notifications.notify_calls) == 2)
        second = notifications.notify_calls[1]
        assert second["hints"]["image-path"] == cache.lookup(server.url("/cover.png"))
        assert second["replaces_id"] == notifications.notify_calls[0]["id"]
    finally:
        await note.close()
        await cache.aclose()
        await server.stop()


async def test_follows_a_service_core_and_drives_it(
    dbus_session: PrivateSessionBus, notifications: Notifications
) -> None:
    class Task(BackgroundAudioTask):
        def __init__(self) -> None:
            super().__init__()
            self.skipped = asyncio.Event()

        async def on_start(self, params: dict[str, Any] | None) -> None:
            assert self._core is not None
            self._core.set_media_item(SONG)
            self._core.set_state(playing=True, controls=TRANSPORT)

        async def on_skip_to_next(self) -> None:
            self.skipped.set()

    task = Task()
    core = ServiceCore(task)
    note = MediaNotification(core.handle, bus_address=dbus_session.address)
    assert await note.start()
    note.attach(core)
    await core.start()
    try:
        await notifications.wait(lambda: bool(notifications.notify_calls))
        await note.flush()
        assert notifications.notify_calls[-1]["summary"] == "Song"
        notifications.ActionInvoked(note.notification_id, "media-skip-forward")
        async with asyncio.timeout(5):
            await task.skipped.wait()
        shown = note.notification_id
    finally:
        await core.shutdown()
    await notifications.wait(lambda: bool(notifications.close_calls))
    assert notifications.close_calls == [shown]
    await note.close()


def test_bad_arguments_name_the_field() -> None:
    with pytest.raises(TypeError, match="dispatch"):
        MediaNotification(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="app_name"):
        MediaNotification(print, app_name=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="desktop_entry"):
        MediaNotification(print, desktop_entry=b"x")  # type: ignore[arg-type]


async def test_the_service_surfaces_wait_for_a_server_that_starts_later(
    dbus_session: PrivateSessionBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Task(BackgroundAudioTask):
        async def on_start(self, params: dict[str, Any] | None) -> None:
            assert self._core is not None
            self._core.set_media_item(SONG)
            self._core.set_state(playing=True, controls=TRANSPORT)

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", dbus_session.address)
    config = ServiceConfig(mpris=False, notification=True)
    core = ServiceCore(Task(), config)
    surfaces = await Surfaces(core, config).start()  # no notification server yet
    await core.start()
    try:
        bus, server = await serve(dbus_session.address, ALL_CAPS)
        try:
            await server.wait(lambda: bool(server.notify_calls))
            assert server.notify_calls[-1]["summary"] == "Song"
        finally:
            bus.disconnect()
    finally:
        await core.shutdown()
        await surfaces.close()


async def test_dismissal_sends_close_when_the_app_opts_in(
    dbus_session: PrivateSessionBus, notifications: Notifications, requests: Requests
) -> None:
    note = MediaNotification(requests, bus_address=dbus_session.address, dismiss_stops=True)
    try:
        assert await note.start()
        note.on_event(running(playing()))
        await note.flush()
        notifications.dismiss(note.notification_id)
        await requests.wait_for(1)
        assert requests == [Close()]
    finally:
        await note.close()


async def test_a_server_that_errors_right_after_taking_the_name_is_asked_again(
    dbus_session: PrivateSessionBus, requests: Requests
) -> None:
    # GNOME Shell restarting owns the name before it exports its object: UnknownMethod.
    bus, server = await serve(dbus_session.address, ALL_CAPS, export=False)
    note = MediaNotification(requests, bus_address=dbus_session.address)
    try:
        async with dbus_session.monitor() as monitor:
            meeting = asyncio.ensure_future(note.start())
            await monitor.wait_for(lambda m: m.kind == "error")
        assert not meeting.done()  # not given up: asked again a moment later
        bus.export(PATH, server)
        assert await asyncio.wait_for(meeting, 5)
        note.on_event(running(playing()))
        await note.flush()
        assert [call["summary"] for call in server.notify_calls] == ["Song"]
    finally:
        await note.close()
        bus.disconnect()


@pytest.mark.parametrize("info", [("gnome-shell", "GNOME"), ("Plasma", "KDE")])
async def test_not_shown_where_the_shell_shows_the_player_itself(
    dbus_session: PrivateSessionBus, requests: Requests, info: tuple[str, str]
) -> None:
    bus, server = await serve(dbus_session.address, ALL_CAPS, info)
    quiet = MediaNotification(requests, bus_address=dbus_session.address)
    shown = MediaNotification(requests, bus_address=dbus_session.address, on_shells=True)
    try:
        for note in (quiet, shown):
            assert await note.start()
            assert note.server[:2] == info
            note.on_event(running(playing()))
            await note.flush()
        # Only the one told to show itself there anyway: the other would duplicate the card.
        assert len(server.notify_calls) == 1
        assert server.notify_calls[0]["id"] == shown.notification_id
        assert quiet.notification_id == 0
    finally:
        await quiet.close()
        await shown.close()
        bus.disconnect()


async def test_without_controls_the_buttons_follow_the_callbacks(
    note: MediaNotification, notifications: Notifications, requests: Requests
) -> None:
    class Minimal(BackgroundAudioTask):
        async def on_play(self) -> None: ...

        async def on_pause(self) -> None: ...

        async def on_skip_to_next(self) -> None: ...

    listed = MediaNotification(
        requests,
        bus_address=note._bus_address,
        capabilities=Capabilities(Minimal()),
    )
    try:
        assert await listed.start()
        listed.on_event(running(PlaybackState(playing=True)))  # no controls published
        await listed.flush()
        keys = notifications.notify_calls[-1]["actions"][::2]
        assert keys == ["media-playback-pause", "media-skip-forward"]
        listed.on_event(StateChanged(state=PlaybackState(controls=(MediaControl.play,))))
        await listed.flush()
        assert notifications.notify_calls[-1]["actions"][::2] == ["media-playback-start"]
    finally:
        await listed.close()


async def test_shown_by_gnome_s_standalone_daemon_which_has_no_media_card(
    dbus_session: PrivateSessionBus, requests: Requests
) -> None:
    bus, server = await serve(dbus_session.address, ALL_CAPS, ("Notification Daemon", "GNOME"))
    note = MediaNotification(requests, bus_address=dbus_session.address)
    try:
        assert await note.start()
        note.on_event(running(playing()))
        await note.flush()
        assert len(server.notify_calls) == 1
    finally:
        await note.close()
        bus.disconnect()


@pytest.mark.parametrize("stop_ends_service", [False, True])
async def test_the_service_surfaces_dismissal_rule(
    dbus_session: PrivateSessionBus,
    notifications: Notifications,
    monkeypatch: pytest.MonkeyPatch,
    stop_ends_service: bool,
) -> None:
    class Task(BackgroundAudioTask):
        async def on_start(self, params: dict[str, Any] | None) -> None:
            assert self._core is not None
            self._core.set_media_item(SONG)
            self._core.set_state(playing=True, controls=TRANSPORT)

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", dbus_session.address)
    config = ServiceConfig(mpris=False, notification=True, stop_ends_service=stop_ends_service)
    core = ServiceCore(Task(), config, stop_grace=0.5)
    surfaces = await Surfaces(core, config).start()
    await core.start()
    try:
        note = surfaces.notification
        assert note is not None
        await notifications.wait(lambda: bool(notifications.notify_calls))
        await note.flush()
        notifications.dismiss(note.notification_id)
        if stop_ends_service:  # Android's meaning: on_close -> on_stop
            await asyncio.wait_for(core.wait_stopped(), 5)
        else:
            # The dismissal reached the notification (it forgot its id): playback goes on.
            for _ in range(200):
                if note.notification_id == 0:
                    break
                await asyncio.sleep(0.01)
            assert note.notification_id == 0
            assert core.running
            assert core.state.playing
    finally:
        await core.shutdown()
        await surfaces.close()
