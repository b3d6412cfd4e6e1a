#!/usr/bin/env bash
# Installs the Debian packages the test rig and the demo need, only when some
# are missing, so that a set-up machine pays a single dpkg-query (well under a
# second). Runs apt-get update at most once per call, and only when installing.
set -euo pipefail

packages=(
    dbus-daemon dbus-bin            # private session bus for tests, dbus-monitor
    pulseaudio pulseaudio-utils     # real PulseAudio server; pactl, pacat, paplay
    pipewire pipewire-bin pipewire-pulse wireplumber  # the PipeWire flavour
    playerctl libglib2.0-bin        # real MPRIS and D-Bus clients (gdbus)
    libmpv2                         # the mpv player backend
    espeak-ng                       # the text-to-speech reader
    libegl1 libgl1 libfontconfig1 libxkbcommon0 fonts-dejavu-core  # Qt (PySide6 wheels)
    xvfb libxcb-cursor0             # the example apps' windows under a private X server
    gir1.2-gtk-3.0                  # GTK 3 for the GTK adapter's example
    libgirepository1.0-dev libcairo2-dev pkg-config  # to build PyGObject in the venv
    dunst xvfb                      # a real notification server (with an X display) for tests
    desktop-file-utils              # desktop-file-validate, for the desktop entries we write
    strace                          # counts system calls in `make bench` (bench_syscalls)
    # Real desktop consumers under a virtual X server (tests/shells): GNOME Shell's media
    # card and gsd-media-keys (about 135 packages, ~100 MB), Xfce's panel with its PulseAudio
    # plugin (about 20); keys and clicks with xdotool, screen dumps with xwd (x11-apps).
    xvfb xdotool x11-apps gnome-shell gnome-settings-daemon xfce4-panel xfce4-pulseaudio-plugin
    gnome-session-bin               # the power tests: GNOME's real session manager
    xdg-desktop-portal xdg-desktop-portal-gtk bubblewrap  # ... the real portal, sandboxed
    xfce4-power-manager             # ... and Xfce's power manager
)

# The interpreter the venv is made from (the Makefile's PYTHON). Debian's own ships venv
# without ensurepip unless python3.X-venv is installed, and without the C headers
# (PyGObject compiles against them) unless python3.X-dev is.
python=${PYTHON:-python3}
if "$python" -c 'import sys' >/dev/null 2>&1; then
    py_minor=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        packages+=("python${py_minor}-venv")
    fi
    headers=$("$python" -c 'import os, sysconfig; print(os.path.join(sysconfig.get_paths()["include"], "Python.h"))')
    if [ ! -e "$headers" ] && [ "${headers#/usr/include/}" != "$headers" ]; then
        packages+=("python${py_minor}-dev")
    fi
fi

missing=()
for pkg in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = "installed" ] || missing+=("$pkg")
done

[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "error: missing Debian packages (${missing[*]}) and not root, no sudo." >&2
    echo "Install them by hand: apt-get install ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
