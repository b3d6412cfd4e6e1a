"""The example app behind ``audio-service demo`` (and ``make demo``).

- :class:`DemoTask` / :func:`demo_entrypoint`: the background task, a
  :class:`~audio_service.players.SwitchingTask` with a music player (mpv) and a
  reader (espeak-ng), over a catalogue made locally by :func:`ensure_catalogue`.
- :class:`DemoApp`: the Textual UI (needs the ``tui`` extra; imported on first use).
- :func:`run_tour`: the non-interactive, self-checking tour on a private audio stack.
- :func:`prepare_environment`: the desktop's bus and audio server, or private ones.
"""

from typing import TYPE_CHECKING

from audio_session._lazy import lazy_exports

# Names load on first use (PEP 562): the UI pulls in Textual only when asked for.
_LAZY = {
    "Catalogue": "._catalogue",
    "default_catalogue_dir": "._catalogue",
    "ensure_catalogue": "._catalogue",
    "APP_ID": "._task",
    "DemoTask": "._task",
    "demo_entrypoint": "._task",
    "DemoApp": "._app",
    "run_tour": "._tour",
    "DemoEnvironment": "._environment",
    "prepare_environment": "._environment",
}

if TYPE_CHECKING:
    from audio_service.demo._app import (
        DemoApp,
    )
    from audio_service.demo._catalogue import (
        Catalogue,
        default_catalogue_dir,
        ensure_catalogue,
    )
    from audio_service.demo._environment import (
        DemoEnvironment,
        prepare_environment,
    )
    from audio_service.demo._task import (
        APP_ID,
        DemoTask,
        demo_entrypoint,
    )
    from audio_service.demo._tour import (
        run_tour,
    )

__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)

__all__ = [
    "APP_ID",
    "Catalogue",
    "DemoApp",
    "DemoEnvironment",
    "DemoTask",
    "default_catalogue_dir",
    "demo_entrypoint",
    "ensure_catalogue",
    "prepare_environment",
    "run_tour",
]
