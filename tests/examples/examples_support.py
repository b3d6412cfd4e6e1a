"""Helpers of the example apps' tests: where the examples are, playerctl, pixels."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))


def playerctl(*args: str) -> str:
    """``playerctl ARGS`` on the rig's bus (this process's environment points at it)."""
    done = subprocess.run(["playerctl", *args], capture_output=True, text=True, timeout=10)
    return done.stdout.strip()


def colour_share(
    pixel: Callable[[int, int], tuple[int, int, int]],
    box: tuple[int, int, int, int],
    rgb: tuple[int, int, int],
    tolerance: int = 12,
) -> float:
    """The share of the pixels in ``box`` (x, y, width, height) within ``tolerance`` of ``rgb``."""
    x0, y0, width, height = box
    hits = total = 0
    for y in range(y0, y0 + height, 2):
        for x in range(x0, x0 + width, 2):
            total += 1
            if all(abs(a - b) <= tolerance for a, b in zip(pixel(x, y), rgb, strict=True)):
                hits += 1
    return hits / total if total else 0.0


def dark_share(
    pixel: Callable[[int, int], tuple[int, int, int]], box: tuple[int, int, int, int]
) -> float:
    """The share of dark pixels (text) in ``box``."""
    x0, y0, width, height = box
    dark = total = 0
    for y in range(y0, y0 + height):
        for x in range(x0, x0 + width):
            total += 1
            if sum(pixel(x, y)) < 200:
                dark += 1
    return dark / total if total else 0.0
