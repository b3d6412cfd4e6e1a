#!/usr/bin/env bash
# Makes the project's venv from the chosen interpreter and installs the package with
# its extras; a quick no-op (one short Python start) once that is done.
#
#   scripts/ensure-venv.sh PYTHON VENV EXTRAS
#
# The venv is made again when it was made from another interpreter than PYTHON (the
# Makefile's choice changed, or a PYTHON=... given by hand), and the package is
# installed again when pyproject.toml is newer than the last install.
set -euo pipefail

python=${1:?usage: ensure-venv.sh PYTHON VENV EXTRAS}
venv=${2:?usage: ensure-venv.sh PYTHON VENV EXTRAS}
extras=${3:?usage: ensure-venv.sh PYTHON VENV EXTRAS}
stamp="$venv/.installed-stamp"

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "error: $python is $("$python" --version 2>&1); this project needs Python 3.11 or newer." >&2
    echo "Give another one: make PYTHON=/path/to/python3.11 ..." >&2
    exit 1
fi
wanted=$("$python" -c 'import os, sys; print(os.path.realpath(sys.executable))')
if [ -x "$venv/bin/python" ]; then
    made_from=$("$venv/bin/python" -c 'import os, sys; print(os.path.realpath(sys._base_executable))' || true)
    if [ "$made_from" != "$wanted" ]; then
        echo "Making $venv again: it was made from ${made_from:-an interpreter that is gone}, not $wanted"
        rm -rf "$venv"
    fi
fi
if [ ! -x "$venv/bin/python" ]; then
    rm -rf "$venv"
    "$python" -m venv "$venv"
fi
if [ ! -e "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
    "${pip[@]}" --upgrade pip
    "${pip[@]}" -e ".[$extras]"
    touch "$stamp"
fi
