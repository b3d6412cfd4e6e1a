"""How the demo words things for people: times, and its custom events as log lines."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

__all__ = ["describe_event", "format_time"]


def format_time(value: timedelta | None) -> str:
    """``m:ss`` (or ``h:mm:ss``); ``--:--`` when unknown."""
    if value is None:
        return "--:--"
    seconds = max(0, int(value.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def describe_event(event: Any) -> str | None:
    """A log line for one of the demo task's custom events (None for events it does not know)."""
    if not isinstance(event, dict):
        return None
    kind = event.get("event")
    if kind == "interruption":
        phase = "begins" if event.get("begin") else "ends"
        return f"interruption {phase}: {event.get('type')}"
    if kind == "becoming_noisy":
        return "becoming noisy (the output went public: headphones unplugged?)"
    if kind == "devices":
        parts = []
        if event.get("added"):
            parts.append("added " + ", ".join(map(str, event["added"])))
        if event.get("removed"):
            parts.append("removed " + ", ".join(map(str, event["removed"])))
        return "devices: " + ("; ".join(parts) or "changed")
    if kind == "handler":
        return f"switched to the {event.get('name')} player"
    return None
