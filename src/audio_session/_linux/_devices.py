"""Sinks, sources and their ports as :class:`AudioDevice`, and which outputs are private.

Pure functions over :class:`Endpoint`, our own typed copy of what the pulse
protocol reports (PulseAudio and pipewire-pulse alike), so the rules can be
tested without a server.

**Devices.** A sink or source without ports is one device. One with ports is one
device per port that is not known to be unplugged (``available`` is ``yes`` or
``unknown``), so plugging headphones into a jack adds a device and pulling them
out removes it, as on Android. Monitor sources and WirePlumber's placeholder
``auto_null`` are not devices.

**Ids** are stable across reconnects and server restarts: ``sink:<sink name>`` or
``source:<source name>``, plus ``:<port name>`` for a port.

**Types** come from the first rule that matches (the sink's, or the port's when
the device is a port):

===================================================== ===============================
Rule                                                  AudioDeviceType
===================================================== ===============================
bus ``bluetooth`` (or ``device.api=bluez5``), LE      ``BLUETOOTH_LE``
  profile (``bap``)
bluetooth, headset/hands-free profile (HSP/HFP/SCO)   ``BLUETOOTH_SCO``
bluetooth, any other profile                          ``BLUETOOTH_A2DP``
bus ``usb`` / ``firewire`` / ``thunderbolt``          ``USB_AUDIO`` / ``FIRE_WIRE`` /
                                                      ``THUNDERBOLT``
AirPlay (RAOP) sink                                   ``AIR_PLAY``
network tunnel, RTP, ROC, AES67                       ``IP``
port or profile name: ``headphone``                   ``WIRED_HEADPHONES``
  ``headset``, ``handsfree``                          ``WIRED_HEADSET``
  ``earpiece``, ``handset``, ``receiver``             ``BUILT_IN_EARPIECE``
  ``hdmi``                                            ``HDMI``
  ``displayport``                                     ``DISPLAY_PORT``
  ``iec958``, ``spdif``, ``digital-output``           ``LINE_DIGITAL``
  ``internal mic``, ``digital mic``                   ``BUILT_IN_MIC``
  ``line``                                            ``LINE_ANALOG``
  ``speaker``                                         ``BUILT_IN_SPEAKER``
  ``dock``                                            ``DOCK``
  ``mic`` (any other microphone jack)                 ``WIRED_HEADSET``
``device.form_factor``: ``internal``                  ``BUILT_IN_SPEAKER`` (output),
                                                      ``BUILT_IN_MIC`` (input)
  ``speaker``                                         ``BUILT_IN_SPEAKER``
  ``headphone``                                       ``WIRED_HEADPHONES``
  ``headset``, ``hands-free``                         ``WIRED_HEADSET``
  ``handset``                                         ``BUILT_IN_EARPIECE``
  ``tv``                                              ``HDMI``
  ``car``                                             ``CAR_AUDIO``
  ``hifi``                                            ``LINE_ANALOG``
  ``webcam``, ``microphone``                          ``BUILT_IN_MIC`` (input)
null, virtual, filter, combine or loopback device     ``VIRTUAL``
anything else                                         ``UNKNOWN``
===================================================== ===============================

USB comes before the form factor because Android reports every USB device
(headset or not) as USB audio; the form factor still decides privacy.

**Privacy** (for becoming noisy): an output is *private* when only its wearer
hears it. Decided by the first rule that matches: an active port that is
unplugged (``available == no``) is public (the sound has left the headphones);
an active port named like headphones, a headset, an earpiece or a handset is
private, one named like a speaker, HDMI, DisplayPort, S/PDIF or line out is
public; form factor ``headphone``, ``headset``, ``hands-free``, ``handset`` or
``earpiece`` is private, any other form factor public; a Bluetooth device is
private; everything else is public.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from audio_session._events import AudioDevice, AudioDeviceType

__all__ = [
    "Endpoint",
    "Port",
    "active_device_id",
    "device_type",
    "devices_of",
    "endpoint_from_sink",
    "endpoint_from_source",
    "is_listed",
    "is_private_output",
    "snapshot_devices",
]

#: libpulse's PA_INVALID_INDEX: "no such object" in index fields.
INVALID_INDEX = 2**32 - 1

#: Placeholder sink (and its monitor) that WirePlumber creates when there is no device.
PLACEHOLDER_NAMES = frozenset({"auto_null", "auto_null.monitor"})


@dataclass(frozen=True, slots=True)
class Port:
    """A port of a sink or source (a jack, a speaker, an HDMI connector)."""

    name: str
    description: str = ""
    #: ``yes``, ``no`` or ``unknown`` (whether something is plugged in).
    available: str = "unknown"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A sink (output) or source (input) as the pulse protocol describes it."""

    index: int
    name: str
    is_output: bool
    description: str = ""
    driver: str = ""
    properties: Mapping[str, str] = field(default_factory=dict)
    ports: tuple[Port, ...] = ()
    active_port: Port | None = None
    #: For a monitor source: the index of the sink it monitors.
    monitor_of: int | None = None

    @property
    def id(self) -> str:
        return f"{'sink' if self.is_output else 'source'}:{self.name}"


def _availability(value: object) -> str:
    # pulsectl's EnumValue compares equal to its name but does not print as it.
    for name in ("yes", "no"):
        if value == name:
            return name
    return "unknown"


def _port(info: Any) -> Port:
    return Port(str(info.name), str(info.description or ""), _availability(info.available))


def _common(info: Any) -> dict[str, Any]:
    ports = tuple(_port(p) for p in getattr(info, "port_list", ()) or ())
    active = getattr(info, "port_active", None)
    return {
        "index": int(info.index),
        "name": str(info.name),
        "description": str(info.description or ""),
        "driver": str(info.driver or ""),
        "properties": dict(getattr(info, "proplist", {}) or {}),
        "ports": ports,
        "active_port": _port(active) if active is not None else None,
    }


def endpoint_from_sink(info: Any) -> Endpoint:
    """Our copy of a pulsectl ``PulseSinkInfo``."""
    return Endpoint(is_output=True, **_common(info))


def endpoint_from_source(info: Any) -> Endpoint:
    """Our copy of a pulsectl ``PulseSourceInfo``."""
    monitor = getattr(info, "monitor_of_sink", INVALID_INDEX)
    monitor_of = None if monitor in (None, INVALID_INDEX) else int(monitor)
    return Endpoint(is_output=False, monitor_of=monitor_of, **_common(info))


def is_listed(endpoint: Endpoint) -> bool:
    """False for monitor sources and WirePlumber's ``auto_null``: they are not devices."""
    if endpoint.name in PLACEHOLDER_NAMES:
        return False
    if endpoint.properties.get("node.name") == "auto_null":
        return False
    if not endpoint.is_output:
        if endpoint.monitor_of is not None:
            return False
        if endpoint.properties.get("device.class") == "monitor":
            return False
    return True


def _prop(endpoint: Endpoint, key: str) -> str:
    return endpoint.properties.get(key, "").strip().lower()


def _is_bluetooth(endpoint: Endpoint) -> bool:
    props = endpoint.properties
    return (
        _prop(endpoint, "device.bus") == "bluetooth"
        or _prop(endpoint, "device.api") == "bluez5"
        or any(key.startswith(("api.bluez5.", "bluez5.")) for key in props)
        or "bluez" in endpoint.driver.lower()
    )


def _bluetooth_type(endpoint: Endpoint) -> AudioDeviceType:
    profile = " ".join(
        _prop(endpoint, key)
        for key in ("bluetooth.protocol", "api.bluez5.profile", "device.profile.name")
    )
    if "bap" in profile or (
        _prop(endpoint, "api.bluez5.codec").startswith("lc3")
        and ("a2dp" not in profile and "headset" not in profile)
    ):
        return AudioDeviceType.BLUETOOTH_LE
    if any(word in profile for word in ("headset", "handsfree", "hsp", "hfp", "sco")):
        return AudioDeviceType.BLUETOOTH_SCO
    return AudioDeviceType.BLUETOOTH_A2DP


_BUS_TYPES: dict[str, AudioDeviceType] = {
    "usb": AudioDeviceType.USB_AUDIO,
    "firewire": AudioDeviceType.FIRE_WIRE,
    "ieee1394": AudioDeviceType.FIRE_WIRE,
    "thunderbolt": AudioDeviceType.THUNDERBOLT,
}

# Ordered: the first pattern found in the lower-cased port (or profile) name and
# description wins, so "headset" is checked before "mic" and "internal mic" before both.
_NAME_HINTS: tuple[tuple[re.Pattern[str], AudioDeviceType], ...] = tuple(
    (re.compile(pattern), kind)
    for pattern, kind in (
        (r"headphone", AudioDeviceType.WIRED_HEADPHONES),
        (r"headset|hands-?free", AudioDeviceType.WIRED_HEADSET),
        (r"earpiece|handset|receiver", AudioDeviceType.BUILT_IN_EARPIECE),
        (r"hdmi", AudioDeviceType.HDMI),
        (r"display ?port", AudioDeviceType.DISPLAY_PORT),
        (r"iec958|s/?pdif|digital[- ]output", AudioDeviceType.LINE_DIGITAL),
        (r"(internal|digital|built-in)[- _]mic|\bdmic", AudioDeviceType.BUILT_IN_MIC),
        (r"\bline", AudioDeviceType.LINE_ANALOG),
        (r"speaker", AudioDeviceType.BUILT_IN_SPEAKER),
        (r"\bdock", AudioDeviceType.DOCK),
        (r"mic", AudioDeviceType.WIRED_HEADSET),
    )
)

_FORM_FACTOR_TYPES: dict[str, AudioDeviceType] = {
    "speaker": AudioDeviceType.BUILT_IN_SPEAKER,
    "headphone": AudioDeviceType.WIRED_HEADPHONES,
    "headset": AudioDeviceType.WIRED_HEADSET,
    "hands-free": AudioDeviceType.WIRED_HEADSET,
    "handset": AudioDeviceType.BUILT_IN_EARPIECE,
    "earpiece": AudioDeviceType.BUILT_IN_EARPIECE,
    "tv": AudioDeviceType.HDMI,
    "car": AudioDeviceType.CAR_AUDIO,
    "hifi": AudioDeviceType.LINE_ANALOG,
}

_INPUT_FORM_FACTORS = frozenset({"webcam", "microphone"})

_VIRTUAL_DRIVERS = ("null", "combine", "remap", "loopback", "virtual", "ladspa", "equalizer")
_VIRTUAL_FACTORIES = ("support.null-audio-sink", "filter", "loopback", "combine")


def _hint(text: str) -> AudioDeviceType | None:
    for pattern, kind in _NAME_HINTS:
        if pattern.search(text):
            return kind
    return None


def _is_network(endpoint: Endpoint) -> AudioDeviceType | None:
    driver = endpoint.driver.lower()
    api = _prop(endpoint, "device.api")
    if "raop" in driver or api == "raop" or any(k.startswith("raop.") for k in endpoint.properties):
        return AudioDeviceType.AIR_PLAY
    network_apis = ("rtp", "roc", "aes67", "tunnel", "zeroconf", "snapcast")
    if (
        "tunnel" in driver
        or "rtp" in driver
        or api in network_apis
        or any(k.startswith(("tunnel.", "rtp.", "roc.")) for k in endpoint.properties)
    ):
        return AudioDeviceType.IP
    return None


def _is_virtual(endpoint: Endpoint) -> bool:
    driver = endpoint.driver.lower()
    factory = _prop(endpoint, "factory.name")
    return (
        _prop(endpoint, "device.class") in ("abstract", "filter")
        or _prop(endpoint, "node.virtual") == "true"
        or any(word in driver for word in _VIRTUAL_DRIVERS)
        or any(word in factory for word in _VIRTUAL_FACTORIES)
    )


def device_type(endpoint: Endpoint, port: Port | None = None) -> AudioDeviceType:
    """The type of ``endpoint``, or of one of its ports (see the module's table)."""
    if _is_bluetooth(endpoint):
        return _bluetooth_type(endpoint)
    bus_type = _BUS_TYPES.get(_prop(endpoint, "device.bus"))
    if bus_type is not None:
        return bus_type
    network = _is_network(endpoint)
    if network is not None:
        return network
    port = port if port is not None else endpoint.active_port
    texts = []
    if port is not None:
        texts.append(f"{port.name} {port.description}".lower())
    texts.append(_prop(endpoint, "device.profile.name"))
    for text in texts:
        hinted = _hint(text) if text else None
        if hinted is not None:
            return hinted
    form_factor = _prop(endpoint, "device.form_factor")
    if form_factor == "internal":
        return (
            AudioDeviceType.BUILT_IN_SPEAKER if endpoint.is_output else AudioDeviceType.BUILT_IN_MIC
        )
    if form_factor in _INPUT_FORM_FACTORS and not endpoint.is_output:
        return AudioDeviceType.BUILT_IN_MIC
    by_form = _FORM_FACTOR_TYPES.get(form_factor)
    if by_form is not None:
        return by_form
    if _is_virtual(endpoint):
        return AudioDeviceType.VIRTUAL
    return AudioDeviceType.UNKNOWN


def _device_name(endpoint: Endpoint, port: Port | None) -> str:
    base = (
        endpoint.description or endpoint.properties.get("device.description", "") or endpoint.name
    )
    if port is None:
        return base
    label = port.description or port.name
    return f"{base}: {label}"


def devices_of(endpoint: Endpoint) -> list[AudioDevice]:
    """The devices ``endpoint`` stands for: itself, or its plugged-in ports."""
    if not is_listed(endpoint):
        return []
    direction = {"is_input": not endpoint.is_output, "is_output": endpoint.is_output}
    ports = [p for p in endpoint.ports if p.available != "no"]
    if not ports:
        # No ports at all, or every port unplugged: the device itself is still there
        # (a null sink, or a card whose jacks are all empty but which still plays).
        if endpoint.ports and endpoint.active_port is not None:
            ports = [endpoint.active_port]
        else:
            return [
                AudioDevice(
                    id=endpoint.id,
                    name=_device_name(endpoint, None),
                    type=device_type(endpoint),
                    **direction,
                )
            ]
    return [
        AudioDevice(
            id=f"{endpoint.id}:{port.name}",
            name=_device_name(endpoint, port),
            type=device_type(endpoint, port),
            **direction,
        )
        for port in ports
    ]


def snapshot_devices(endpoints: Iterable[Endpoint]) -> frozenset[AudioDevice]:
    """Every device of ``endpoints``."""
    return frozenset(device for endpoint in endpoints for device in devices_of(endpoint))


_PRIVATE_TYPES = frozenset(
    {
        AudioDeviceType.WIRED_HEADPHONES,
        AudioDeviceType.WIRED_HEADSET,
        AudioDeviceType.BUILT_IN_EARPIECE,
        AudioDeviceType.HEARING_AID,
    }
)
_PUBLIC_PORT_TYPES = frozenset(
    {
        AudioDeviceType.BUILT_IN_SPEAKER,
        AudioDeviceType.HDMI,
        AudioDeviceType.DISPLAY_PORT,
        AudioDeviceType.LINE_DIGITAL,
        AudioDeviceType.LINE_ANALOG,
        AudioDeviceType.DOCK,
    }
)
_PRIVATE_FORM_FACTORS = frozenset({"headphone", "headset", "hands-free", "handset", "earpiece"})


def is_private_output(endpoint: Endpoint) -> bool:
    """Whether only the wearer hears this output (headphones, headset, earpiece, Bluetooth)."""
    port = endpoint.active_port
    if port is not None:
        if port.available == "no":
            return False
        hinted = _hint(f"{port.name} {port.description}".lower())
        if hinted in _PRIVATE_TYPES:
            return True
        if hinted in _PUBLIC_PORT_TYPES:
            return False
    form_factor = _prop(endpoint, "device.form_factor")
    if form_factor:
        return form_factor in _PRIVATE_FORM_FACTORS
    return _is_bluetooth(endpoint)


def active_device_id(endpoint: Endpoint) -> str:
    """The id of the device ``endpoint`` plays through (records from) right now."""
    port = endpoint.active_port
    if port is None or not endpoint.ports:
        return endpoint.id
    return f"{endpoint.id}:{port.name}"
