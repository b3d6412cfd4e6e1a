"""The same player as ``mpris_task`` on the ``mpris_server`` library, for ``bench_mpris``.

Run by the benchmark with Debian's ``/usr/bin/python3`` (for its python3-gi and
python3-pydbus) and ``PYTHONPATH`` pointing at a ``pip install --target`` of
mpris_server; not importable from the project's virtualenv. It owns
``org.mpris.MediaPlayer2.<argv[1]>`` on ``$DBUS_SESSION_BUS_ADDRESS``, prints
``ready`` and serves until its standard input closes.
"""

import sys

from gi.repository import GLib
from mpris_server.adapters import MprisAdapter
from mpris_server.base import PlayState
from mpris_server.events import EventAdapter
from mpris_server.server import Server

TRACK_ID = "/org/example/bench/track"


class Player(MprisAdapter):
    """Paused, one track; play and pause change the state and announce it, as an app would."""

    def __init__(self) -> None:
        super().__init__("bench")
        self.state = PlayState.PAUSED
        self.events = None

    def _set(self, state):
        self.state = state
        self.events.on_playpause()

    def metadata(self):
        return {
            "mpris:trackid": TRACK_ID,
            "mpris:length": 240_000_000,
            "xesam:title": "Benchmark Track",
            "xesam:artist": ["The Benchmarks"],
            "xesam:album": "Latency",
        }

    def get_playstate(self):
        return self.state

    def play(self):
        self._set(PlayState.PLAYING)

    def resume(self):
        self._set(PlayState.PLAYING)

    def pause(self):
        self._set(PlayState.PAUSED)

    def get_current_position(self):
        return 0

    def can_quit(self):
        return True

    def can_raise(self):
        return False

    def has_tracklist(self):
        return False

    def can_go_next(self):
        return False

    def can_go_previous(self):
        return False

    def can_play(self):
        return True

    def can_pause(self):
        return True

    def can_seek(self):
        return False

    def can_control(self):
        return True

    def get_rate(self):
        return 1.0

    def get_volume(self):
        return 1.0

    def is_repeating(self):
        return False

    def is_playlist(self):
        return False

    def get_shuffle(self):
        return False


def main() -> None:
    player = Player()
    server = Server(sys.argv[1], adapter=player)
    player.events = EventAdapter(root=server.root, player=server.player)
    server.publish()
    loop = GLib.MainLoop()

    def on_stdin(channel, condition):
        if not channel.read():
            loop.quit()
            return False
        return True

    stdin = GLib.IOChannel.unix_new(sys.stdin.fileno())
    GLib.io_add_watch(stdin, GLib.PRIORITY_DEFAULT, GLib.IO_IN | GLib.IO_HUP, on_stdin)
    print("ready", flush=True)
    loop.run()
    server.unpublish()


if __name__ == "__main__":
    main()
