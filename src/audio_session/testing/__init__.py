"""A real desktop audio stack for tests: private D-Bus, PulseAudio or PipeWire, real clients.

Test an audio app the way it will run: against a real session bus and a real
audio server, driven by the programs a desktop uses (``playerctl``, ``gdbus``,
``dbus-monitor``, ``pactl``/``pacat``). Nothing touches the machine's own session,
no display, systemd or sound card is needed, and it works as root.

With pytest the fixtures come automatically once this distribution is installed:

``audio_server``
    A running :class:`AudioServer`; tests that use it run once per flavour
    (``pulseaudio`` and ``pipewire``). Restrict with ``@pytest.mark.audio_server("pipewire")``
    or ``pytest --audio-server=pulseaudio``. One server per flavour serves the whole
    session and is :meth:`~AudioServer.reset` after each test.
``pulseaudio_server`` / ``pipewire_server``
    One flavour explicitly.
``dbus_session``
    A fresh :class:`PrivateSessionBus` for the test.
``audio_rig``
    An :class:`AudioRig` combining ``dbus_session`` and ``audio_server``, already
    activated: ``DBUS_SESSION_BUS_ADDRESS``, ``PULSE_SERVER``, ``XDG_RUNTIME_DIR``
    and the XDG homes point at the rig for the duration of the test.

Without pytest::

    with AudioRig.start("pipewire") as rig, rig.activate():
        sink = await rig.server.add_sink("hp", form_factor="headphone", make_default=True)
        call = await rig.server.play("phone")
        print(await rig.playerctl("-l", check=False))

:func:`wait_until` polls for a state that has no event of its own (another
process's view, a count kept by the code under test)::

    await wait_until(rig.server.sink_inputs, "a stream to appear", timeout=5)
"""

from audio_session.testing._audio import (
    FLAVOURS,
    SPEAKER,
    AudioServer,
    AudioServerFlavour,
    ForeignStream,
    PipeWireServer,
    PulseAudioServer,
    Sink,
    SinkInput,
    start_audio_server,
)
from audio_session.testing._dbus import DBusMonitor, MonitoredMessage, PrivateSessionBus
from audio_session.testing._process import (
    CommandResult,
    ManagedProcess,
    RigError,
    RigUnavailable,
    session_members,
)
from audio_session.testing._rig import AudioRig, processes_under, stop_processes_under
from audio_session.testing._waiting import wait_until

__all__ = [
    "FLAVOURS",
    "SPEAKER",
    "AudioRig",
    "AudioServer",
    "AudioServerFlavour",
    "CommandResult",
    "DBusMonitor",
    "ForeignStream",
    "ManagedProcess",
    "MonitoredMessage",
    "PipeWireServer",
    "PrivateSessionBus",
    "PulseAudioServer",
    "RigError",
    "RigUnavailable",
    "Sink",
    "SinkInput",
    "processes_under",
    "session_members",
    "start_audio_server",
    "stop_processes_under",
    "wait_until",
]
