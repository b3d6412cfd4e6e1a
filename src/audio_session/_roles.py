"""Audio session configuration -> Linux stream role (pure mapping, no I/O).

Linux has no app-wide audio session. The sound server's policy (PulseAudio's
``module-role-cork``/``module-role-ducking``, WirePlumber's role-based linking)
acts on each stream's ``media.role`` property instead, so the configuration is
turned into that role. The role is decided by the first rule that matches:

1. the Android usage, then (for ``MEDIA`` or an unknown usage) the Android content type;
2. the iOS mode, then the iOS category;
3. otherwise ``music``.

================================================ ============== ==============
Configuration                                    PulseAudio     PipeWire
================================================ ============== ==============
usage MEDIA / content MUSIC, SPEECH, none         music          Music
usage MEDIA / content MOVIE                       video          Movie
usage MEDIA / content SONIFICATION                event          Notification
usage GAME                                        game           Game
usage VOICE_COMMUNICATION(_SIGNALLING)            phone          Communication
usage ALARM, NOTIFICATION*, ASSISTANCE_SONIFI...  event          Notification
usage ASSISTANCE_NAVIGATION_GUIDANCE              event          Navigation
usage ASSISTANT                                   event          Assistant
usage ASSISTANCE_ACCESSIBILITY                    a11y           Accessibility
usage UNKNOWN: content MUSIC, SPEECH              music          Music
usage UNKNOWN: content MOVIE                      video          Movie
usage UNKNOWN: content SONIFICATION               event          Notification
mode VOICE_CHAT, VIDEO_CHAT, GAME_CHAT            phone          Communication
mode MOVIE_PLAYBACK                               video          Movie
mode VOICE_PROMPT                                 event          Navigation
mode SPOKEN_AUDIO                                 music          Music
mode MEASUREMENT, VIDEO_RECORDING                 production     Production
category PLAY_AND_RECORD                          phone          Communication
category RECORD, MULTI_ROUTE                      production     Production
category AMBIENT                                  game           Game
category PLAYBACK, SOLO_AMBIENT, none             music          Music
================================================ ============== ==============

PulseAudio has no speech, navigation or assistant role: spoken content is
``music`` (so a call corks it), prompts are ``event`` (never corked). PipeWire
role names are what WirePlumber's role policy matches (``Navigation`` ducks
other streams, ``Assistant`` and ``Communication`` cork them, when the user
enabled role-based linking); pipewire-pulse itself translates the PulseAudio
names (``video`` -> ``Movie``, ``event`` -> ``Notification``, ...).

``media.category`` (PipeWire) is ``Capture`` for the record category,
``Duplex`` for play-and-record, and ``Playback`` otherwise.
"""

from __future__ import annotations

import os
import re
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Literal, NamedTuple

from ._android import AndroidAudioContentType, AndroidAudioUsage
from ._darwin import AVAudioSessionCategory, AVAudioSessionMode

if TYPE_CHECKING:
    from ._configuration import AudioSessionConfiguration

__all__ = [
    "LinuxRole",
    "apply_linux_environment",
    "linux_environment",
    "linux_media_category",
    "linux_media_role",
    "linux_role",
    "linux_stream_properties",
    "pipewire_media_role",
]


class LinuxRole(NamedTuple):
    """A stream role under both naming schemes."""

    #: PulseAudio ``media.role`` (``music``, ``video``, ``game``, ``event``, ``phone``, ...).
    pulseaudio: str
    #: Native PipeWire / WirePlumber ``media.role`` (``Music``, ``Movie``, ``Game``, ...).
    pipewire: str


MUSIC = LinuxRole("music", "Music")
VIDEO = LinuxRole("video", "Movie")
GAME = LinuxRole("game", "Game")
NOTIFICATION = LinuxRole("event", "Notification")
NAVIGATION = LinuxRole("event", "Navigation")
ASSISTANT = LinuxRole("event", "Assistant")
COMMUNICATION = LinuxRole("phone", "Communication")
ACCESSIBILITY = LinuxRole("a11y", "Accessibility")
PRODUCTION = LinuxRole("production", "Production")

_BY_USAGE: dict[AndroidAudioUsage, LinuxRole] = {
    AndroidAudioUsage.VOICE_COMMUNICATION: COMMUNICATION,
    AndroidAudioUsage.VOICE_COMMUNICATION_SIGNALLING: COMMUNICATION,
    AndroidAudioUsage.ALARM: NOTIFICATION,
    AndroidAudioUsage.NOTIFICATION: NOTIFICATION,
    AndroidAudioUsage.NOTIFICATION_RINGTONE: NOTIFICATION,
    AndroidAudioUsage.NOTIFICATION_COMMUNICATION_REQUEST: NOTIFICATION,
    AndroidAudioUsage.NOTIFICATION_COMMUNICATION_INSTANT: NOTIFICATION,
    AndroidAudioUsage.NOTIFICATION_COMMUNICATION_DELAYED: NOTIFICATION,
    AndroidAudioUsage.NOTIFICATION_EVENT: NOTIFICATION,
    AndroidAudioUsage.ASSISTANCE_ACCESSIBILITY: ACCESSIBILITY,
    AndroidAudioUsage.ASSISTANCE_NAVIGATION_GUIDANCE: NAVIGATION,
    AndroidAudioUsage.ASSISTANCE_SONIFICATION: NOTIFICATION,
    AndroidAudioUsage.GAME: GAME,
    AndroidAudioUsage.ASSISTANT: ASSISTANT,
}

_BY_CONTENT: dict[AndroidAudioContentType, LinuxRole] = {
    AndroidAudioContentType.SPEECH: MUSIC,
    AndroidAudioContentType.MUSIC: MUSIC,
    AndroidAudioContentType.MOVIE: VIDEO,
    AndroidAudioContentType.SONIFICATION: NOTIFICATION,
}

_BY_MODE: dict[AVAudioSessionMode, LinuxRole] = {
    AVAudioSessionMode.GAME_CHAT: COMMUNICATION,
    AVAudioSessionMode.VIDEO_CHAT: COMMUNICATION,
    AVAudioSessionMode.VOICE_CHAT: COMMUNICATION,
    AVAudioSessionMode.MOVIE_PLAYBACK: VIDEO,
    AVAudioSessionMode.VOICE_PROMPT: NAVIGATION,
    AVAudioSessionMode.SPOKEN_AUDIO: MUSIC,
    AVAudioSessionMode.MEASUREMENT: PRODUCTION,
    AVAudioSessionMode.VIDEO_RECORDING: PRODUCTION,
}

_BY_CATEGORY: dict[AVAudioSessionCategory, LinuxRole] = {
    AVAudioSessionCategory.PLAY_AND_RECORD: COMMUNICATION,
    AVAudioSessionCategory.RECORD: PRODUCTION,
    AVAudioSessionCategory.MULTI_ROUTE: PRODUCTION,
    AVAudioSessionCategory.AMBIENT: GAME,
    AVAudioSessionCategory.PLAYBACK: MUSIC,
    AVAudioSessionCategory.SOLO_AMBIENT: MUSIC,
}


def linux_role(configuration: AudioSessionConfiguration | None) -> LinuxRole:
    """The stream role for ``configuration`` (``music`` when None), per the module table."""
    if configuration is None:
        return MUSIC
    attributes = configuration.android_audio_attributes
    if attributes is not None:
        by_usage = _BY_USAGE.get(attributes.usage)
        if by_usage is not None:
            return by_usage
        by_content = _BY_CONTENT.get(attributes.content_type)
        if by_content is not None:
            return by_content
        if attributes.usage is AndroidAudioUsage.MEDIA:
            return MUSIC
    mode = configuration.av_audio_session_mode
    if mode is not None and mode in _BY_MODE:
        return _BY_MODE[mode]
    category = configuration.av_audio_session_category
    if category is not None:
        return _BY_CATEGORY[category]
    return MUSIC


def linux_media_role(configuration: AudioSessionConfiguration | None) -> str:
    """The PulseAudio ``media.role`` (also understood by pipewire-pulse)."""
    return linux_role(configuration).pulseaudio


def pipewire_media_role(configuration: AudioSessionConfiguration | None) -> str:
    """The native PipeWire / WirePlumber ``media.role``."""
    return linux_role(configuration).pipewire


def linux_media_category(configuration: AudioSessionConfiguration | None) -> str:
    """PipeWire's ``media.category``: ``Playback``, ``Capture`` or ``Duplex``."""
    category = None if configuration is None else configuration.av_audio_session_category
    if category is AVAudioSessionCategory.RECORD:
        return "Capture"
    if category is AVAudioSessionCategory.PLAY_AND_RECORD:
        return "Duplex"
    return "Playback"


def linux_stream_properties(
    configuration: AudioSessionConfiguration | None,
    *,
    server: Literal["pulseaudio", "pipewire"] = "pulseaudio",
) -> dict[str, str]:
    """Properties to give a playback stream directly.

    ``server="pulseaudio"``: for a PulseAudio-protocol stream (libpulse, GStreamer
    ``pulsesink``; also right under pipewire-pulse): ``{"media.role": "music"}``.
    ``server="pipewire"``: for a native PipeWire stream (``pipewiresink``,
    ``pw_stream``): ``media.type``, ``media.category`` and the PipeWire role.
    """
    role = linux_role(configuration)
    if server == "pulseaudio":
        return {"media.role": role.pulseaudio}
    if server == "pipewire":
        return {
            "media.type": "Audio",
            "media.category": linux_media_category(configuration),
            "media.role": role.pipewire,
        }
    raise ValueError(f"server must be 'pulseaudio' or 'pipewire', not {server!r}")


def linux_environment(configuration: AudioSessionConfiguration | None) -> dict[str, str]:
    """Environment variables that give every stream of a process the role.

    ``PULSE_PROP`` is read by libpulse when a client context is created, and the
    server copies it into each stream that does not set the key itself.
    ``PIPEWIRE_PROPS`` is read by each native PipeWire stream when it is created.
    """
    role = linux_role(configuration)
    return {
        "PULSE_PROP": f"media.role={role.pulseaudio}",
        "PIPEWIRE_PROPS": f"{{ media.role={role.pipewire} }}",
    }


_HAS_ROLE = re.compile(r"(?:^|[\s{,])media\.role\s*[=:]")
_PULSE_ROLE = re.compile(r"""\s*media\.role\s*=\s*("[^"]*"|'[^']*'|\S+)""")
_PIPEWIRE_ROLE = re.compile(r"""\s*,?\s*media\.role\s*[=:]\s*("[^"]*"|[^\s,}]+)""")


def apply_linux_environment(
    configuration: AudioSessionConfiguration | None,
    environ: MutableMapping[str, str] | None = None,
    *,
    override: bool = False,
) -> dict[str, str]:
    """Set ``PULSE_PROP`` and ``PIPEWIRE_PROPS`` in ``environ`` (default ``os.environ``).

    **Call it before the audio library connects to the sound server**: libpulse
    reads ``PULSE_PROP`` once per client context and PipeWire reads
    ``PIPEWIRE_PROPS`` once per stream, so streams that exist already keep their
    role. Child processes started afterwards inherit the variables.

    Other properties already in the variables are kept. A ``media.role`` already
    there is the user's choice and is kept too, unless ``override`` is true.
    Returns the variables it changed, with their new values.
    """
    target: MutableMapping[str, str] = os.environ if environ is None else environ
    wanted = linux_role(configuration)
    changed: dict[str, str] = {}
    for name, role, pattern, braces in (
        ("PULSE_PROP", wanted.pulseaudio, _PULSE_ROLE, False),
        ("PIPEWIRE_PROPS", wanted.pipewire, _PIPEWIRE_ROLE, True),
    ):
        current = target.get(name, "").strip()
        if _HAS_ROLE.search(current):
            if not override:
                continue
            current = pattern.sub("", current).strip()
        entry = f"media.role={role}"
        if braces:
            braced = current.startswith("{") and current.endswith("}")
            inner = current[1:-1] if braced else current
            inner = inner.strip().strip(",").strip()
            value = f"{{ {inner} {entry} }}" if inner else f"{{ {entry} }}"
        else:
            value = f"{current} {entry}" if current else entry
        if target.get(name) != value:
            target[name] = value
            changed[name] = value
    return changed
