"""The media notification on a real dunst: shown, its buttons drive the service, a dismissal
leaves playback going, and a dunst restart shows it again."""

from __future__ import annotations

from pathlib import Path

from dunst_support import running_dunst

from audio_service._model._events import MediaItemChanged, ServiceSnapshot
from audio_service._model._models import MediaControl, MediaItem, PlaybackState, ServiceConfig
from audio_service._service._requests import Pause, Request, SkipToNext
from audio_service._surfaces._linux._notification import MediaNotification
from audio_session.testing import PrivateSessionBus, wait_until

SONG = MediaItem(id="s1", title="Song", artist="Artist", album="Album")
TRANSPORT = (MediaControl.skip_to_previous, MediaControl.pause, MediaControl.skip_to_next)


async def test_on_dunst_the_buttons_work_and_a_dismissal_keeps_playing(
    dbus_session: PrivateSessionBus, tmp_path: Path
) -> None:
    requests: list[Request] = []
    with running_dunst(dbus_session, tmp_path) as dunst:
        note = MediaNotification(
            requests.append, app_name="Player", bus_address=dbus_session.address
        )
        try:
            await note.start()  # dunst may take the name a moment after us: then it meets us
            await wait_until(lambda: note.available, "dunst on the bus")
            assert note.server[0] == "dunst"  # no media card of its own: the notification shows
            note.on_event(
                ServiceSnapshot(
                    running=True,
                    config=ServiceConfig(),
                    state=PlaybackState(playing=True, controls=TRANSPORT),
                    media_item=SONG,
                )
            )
            await note.flush()
            assert await dunst.ctl("count", "displayed") == "1"
            # A user picking "Next" from dunst's context menu.
            await dunst.choose("Next")
            await wait_until(lambda: len(requests) == 1, "the Next request")
            assert requests == [SkipToNext()]
            entries = [line.split(" (")[0] for line in dunst.last_menu()]
            assert sorted(entries) == ["#Next", "#Pause", "#Previous"]
            await dunst.choose("Pause")
            await wait_until(lambda: len(requests) == 2, "the Pause request")
            assert requests[-1] == Pause()
            # Dismissed (dunstctl close, a click): hidden, and the music goes on.
            shown = note.notification_id
            await dunst.ctl("close")
            await wait_until(lambda: note.notification_id != shown, "the dismissal")
            assert await dunst.ctl("count", "displayed") == "0"
            assert len(requests) == 2  # no Close: on a desktop, dismissing is not "stop"
            note.on_event(MediaItemChanged(media_item=MediaItem(id="s2", title="Next song")))
            await note.flush()
            assert await dunst.ctl("count", "displayed") == "1"
        finally:
            await note.close()
        assert await dunst.ctl("count", "displayed") == "0"
