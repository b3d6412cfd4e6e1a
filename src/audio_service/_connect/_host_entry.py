"""The host process starts here: ``python -m audio_service._connect._host_entry --report-fd N``.

It detaches before it loads anything else: this first process exits at once (the
starter reaps it) and the host goes on in the forked child, re-parented, so it
neither dies with nor lingers under its starter. Forked now, the interpreter is
small; forked after the host's imports, the child would take a copy-on-write
fault for every page of them it then touches. See :mod:`audio_service._connect._host`.
"""

import os
import sys

if __name__ == "__main__":
    if os.fork() > 0:
        os._exit(0)
    from audio_service._connect._host import main

    sys.exit(main())
