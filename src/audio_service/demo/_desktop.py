"""The demo's desktop entry, installed on first run so every shell shows its name and icon.

``audio_service_demo.desktop`` (the app id, which is also the MPRIS bus name's
suffix that Xfce's panel looks up) goes into ``$XDG_DATA_HOME/applications``
with an icon drawn here; its Exec opens the terminal UI, which is what GNOME
starts when the media card is clicked (or MPRIS ``Raise`` is called) with no
UI connected.
"""

from __future__ import annotations

import math
import sys

from audio_service._surfaces._linux._desktop_entry import (
    desktop_entry_path,
    install_desktop_entry,
)
from audio_service.demo._png import encode_png
from audio_service.demo._task import APP_ID, IDENTITY

__all__ = ["demo_icon", "ensure_desktop_entry"]

ICON_SIZE = 128


def demo_icon(size: int = ICON_SIZE) -> bytes:
    """The demo's icon: a white play triangle on a violet-to-teal disc, as PNG data."""
    rows = []
    centre = (size - 1) / 2
    radius = size * 0.46
    for y in range(size):
        row = bytearray()
        for x in range(size):
            dx, dy = x - centre, y - centre
            distance = math.hypot(dx, dy)
            if distance > radius:
                row += b"\xff\xff\xff"  # the backdrop (no alpha in the demo's writer)
                continue
            mix = (x + y) / (2 * size)
            colour = (int(110 - 80 * mix), int(60 + 120 * mix), int(200 - 40 * mix))
            # The triangle: points right, its left edge at -0.3 r, its tip at +0.45 r.
            u, v = dx / radius, dy / radius
            inside = -0.3 <= u <= 0.45 and abs(v) <= (0.45 - u) * 0.75
            row += b"\xff\xff\xff" if inside else bytes(colour)
        rows.append(bytes(row))
    return encode_png(size, size, rows)


def ensure_desktop_entry() -> str:
    """Install the demo's entry unless one is there; returns its id (the ``DesktopEntry``)."""
    if desktop_entry_path(APP_ID) is None:
        install_desktop_entry(
            APP_ID,
            name=IDENTITY,
            comment="The audio-service-kit demo: a music player and a reader",
            exec=[sys.executable, "-m", "audio_service.cli", "demo"],
            icon=demo_icon(),
            terminal=True,
        )
    return APP_ID
