#!/usr/bin/env bash
# Prints the interpreter the project's venv is made from: Debian's own python3 when it
# is 3.11 or newer, else the first python3 on PATH. Debian builds its CPython with
# profile-guided and link-time optimisation, which pyenv's and most source builds skip:
# our request paths run about a fifth faster on it (docs/PERFORMANCE.md, "the
# interpreter build"), and it is the Python a Debian user's app runs on.
for candidate in /usr/bin/python3 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "$candidate"
        exit 0
    fi
done
# None is new enough: ensure-venv.sh says so, with the version it found.
echo python3
