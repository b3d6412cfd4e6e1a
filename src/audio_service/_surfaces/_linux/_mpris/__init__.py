"""MPRIS2 for a running background audio service (Linux desktops, KDE Connect, playerctl).

``MprisServer(core, identity=...)`` publishes a :class:`~audio_service._service._core.ServiceCore`
as ``org.mpris.MediaPlayer2.<app id>`` with the root, ``Player``, ``TrackList``
(a window around the current item) and ``Playlists`` (the browse root's
children) interfaces. ``Raise`` reaches the UI as the custom event
:data:`RAISE_EVENT`.
"""

from audio_service._surfaces._linux._mpris._server import RAISE_EVENT, MprisServer

__all__ = ["RAISE_EVENT", "MprisServer"]
