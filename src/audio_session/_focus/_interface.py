"""Names, errors and introspection data of the focus arbiter's D-Bus interface."""

from __future__ import annotations

__all__ = [
    "BUS_NAME",
    "ERROR_DUPLICATE",
    "ERROR_INVALID_ARGS",
    "ERROR_LIMITS_EXCEEDED",
    "ERROR_NOT_RECOVERING",
    "ERROR_NOT_REGISTERED",
    "INTERFACE",
    "INTROSPECTION_XML",
    "MAX_REQUESTS_PER_PARTICIPANT",
    "MAX_REQUEST_ID_LENGTH",
    "OBJECT_PATH",
]

#: The interface, the well-known bus name of the arbiter and its object path share one
#: versioned name: an incompatible change becomes ``AudioFocus2`` and both run side by side.
INTERFACE = "org.audioservicekit.AudioFocus1"
BUS_NAME = INTERFACE
OBJECT_PATH = "/org/audioservicekit/AudioFocus1"

ERROR_NOT_REGISTERED = f"{INTERFACE}.Error.NotRegistered"
ERROR_DUPLICATE = f"{INTERFACE}.Error.Duplicate"
ERROR_NOT_RECOVERING = f"{INTERFACE}.Error.NotRecovering"
ERROR_INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"
ERROR_LIMITS_EXCEEDED = "org.freedesktop.DBus.Error.LimitsExceeded"

#: Longest request id accepted (in characters); an app needs a handful.
MAX_REQUEST_ID_LENGTH = 255
#: Requests one participant may have in the stack at once.
MAX_REQUESTS_PER_PARTICIPANT = 64

#: Also published as ``docs/focus-dbus-interface.xml`` (a test keeps the two equal).
INTROSPECTION_XML = """\
<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<!--
  Audio focus shared between the processes of a desktop session, with Android's rules.
  No daemon: the first participating process owns the bus name and serves this object;
  when it goes away another participant takes the name over and everyone calls Restore.
  Gain types, usages and focus codes are Android's numbers (AUDIOFOCUS_*, USAGE_*).
-->
<node name="/org/audioservicekit/AudioFocus1">
  <interface name="org.audioservicekit.AudioFocus1">
    <!-- Become a participant. Required before any other call; the arbiter watches the
         caller and abandons all of its requests when its connection goes away. -->
    <method name="Register"/>
    <!-- Ask for focus. request_id: 1 to 255 characters; a participant holds at most 64
         requests (LimitsExceeded beyond). gain_type: 1 GAIN, 2 GAIN_TRANSIENT,
         3 GAIN_TRANSIENT_MAY_DUCK, 4 GAIN_TRANSIENT_EXCLUSIVE; usage:
         AudioAttributes.USAGE_*. granted is false while a voice-communication (usage 2)
         request holds a place in the stack. sequence orders the request in the stack;
         keep it for Restore. Asking again with the same request_id updates the request
         (and, from below the top, moves it to the top). -->
    <method name="Request">
      <arg name="request_id" type="s" direction="in"/>
      <arg name="gain_type" type="u" direction="in"/>
      <arg name="usage" type="u" direction="in"/>
      <arg name="will_pause_when_ducked" type="b" direction="in"/>
      <arg name="granted" type="b" direction="out"/>
      <arg name="sequence" type="t" direction="out"/>
    </method>
    <!-- Give focus back; false when the request was not in the stack. -->
    <method name="Abandon">
      <arg name="request_id" type="s" direction="in"/>
      <arg name="abandoned" type="b" direction="out"/>
    </method>
    <!-- After a takeover: put a request back with the sequence it was granted and the
         focus it last heard (1 holding, -2 transient loss, -3 may duck). Accepted only
         while the new arbiter recovers (Error.NotRecovering afterwards: the request lost
         its place). Announces nothing by itself. The reply comes when the recovery ends:
         the stack is numbered afresh in the restored order and new_sequence is the
         request's number from then on; then a top left without its holder regains. -->
    <method name="Restore">
      <arg name="request_id" type="s" direction="in"/>
      <arg name="gain_type" type="u" direction="in"/>
      <arg name="usage" type="u" direction="in"/>
      <arg name="will_pause_when_ducked" type="b" direction="in"/>
      <arg name="sequence" type="t" direction="in"/>
      <arg name="focus" type="i" direction="in"/>
      <arg name="new_sequence" type="t" direction="out"/>
    </method>
    <!-- The stack, holder first: (owner, request_id, gain_type, usage,
         will_pause_when_ducked, sequence, focus). Registered callers only. -->
    <method name="GetStack">
      <arg name="stack" type="a(ssuubti)" direction="out"/>
    </method>
    <!-- Sent to one participant only (unicast: the destination is its unique name).
         sequence: the grant it is about (a change for an earlier grant may arrive late).
         focus: 1 GAIN, -1 LOSS (the request left the stack), -2 LOSS_TRANSIENT,
         -3 LOSS_TRANSIENT_CAN_DUCK. interruptions: the (begin, type) events that follow,
         type 0 pause, 1 duck, 2 unknown; already adjusted for will_pause_when_ducked. -->
    <signal name="FocusChanged">
      <arg name="request_id" type="s"/>
      <arg name="sequence" type="t"/>
      <arg name="focus" type="i"/>
      <arg name="interruptions" type="a(bu)"/>
    </signal>
  </interface>
</node>
"""
