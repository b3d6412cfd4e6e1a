"""Linux surfaces: MPRIS2 on the session bus, the freedesktop notification, evdev media keys."""
