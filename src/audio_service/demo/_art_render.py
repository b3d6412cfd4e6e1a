"""Cover art as terminal cells: two pixels per cell with the upper half block.

Each cell shows ``▀`` with the upper pixel as its foreground colour and the
lower one as its background, so a ``w x h`` cell area shows ``w x 2h`` pixels.
Needs Rich (installed with Textual); imported only by the UI.
"""

from __future__ import annotations

from urllib.parse import unquote, urlparse

from rich.color import Color
from rich.style import Style
from rich.text import Text

from audio_service.demo._png import PngError, PngImage, read_png

__all__ = ["art_path", "load_art", "render_half_blocks", "sample"]

UPPER_HALF = "\u2580"


def art_path(art_uri: str | None) -> str | None:
    """The local path of a ``file://`` art URI (other schemes are not shown)."""
    if not art_uri:
        return None
    parsed = urlparse(art_uri)
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
        return None
    return unquote(parsed.path)


def load_art(art_uri: str | None) -> PngImage | None:
    """The decoded PNG behind ``art_uri``, or None when it is not a readable local PNG."""
    path = art_path(art_uri)
    if path is None:
        return None
    try:
        return read_png(path)
    except (OSError, PngError):
        return None


def sample(
    image: PngImage, width: int, height: int, background: tuple[int, int, int] = (0, 0, 0)
) -> list[list[tuple[int, int, int]]]:
    """``image`` scaled to ``width x height`` pixels (box average), alpha over ``background``."""
    if width < 1 or height < 1:
        raise ValueError(f"cannot sample to {width}x{height}")
    rows: list[list[tuple[int, int, int]]] = []
    for y in range(height):
        top = y * image.height // height
        bottom = max(top + 1, (y + 1) * image.height // height)
        row: list[tuple[int, int, int]] = []
        for x in range(width):
            left = x * image.width // width
            right = max(left + 1, (x + 1) * image.width // width)
            totals = [0, 0, 0]
            count = 0
            for sy in range(top, bottom):
                for sx in range(left, right):
                    r, g, b, a = image.pixel(sx, sy)
                    for channel, value in enumerate((r, g, b)):
                        totals[channel] += (value * a + background[channel] * (255 - a)) // 255
                    count += 1
            row.append((totals[0] // count, totals[1] // count, totals[2] // count))
        rows.append(row)
    return rows


def render_half_blocks(image: PngImage, columns: int, rows: int) -> Text:
    """``image`` drawn in ``columns x rows`` cells (``rows * 2`` pixel rows)."""
    pixels = sample(image, columns, rows * 2)
    text = Text(no_wrap=True, overflow="crop")
    for row in range(rows):
        upper, lower = pixels[2 * row], pixels[2 * row + 1]
        for top, bottom in zip(upper, lower, strict=True):
            text.append(
                UPPER_HALF,
                Style(color=Color.from_rgb(*top), bgcolor=Color.from_rgb(*bottom)),
            )
        if row != rows - 1:
            text.append("\n")
    return text
