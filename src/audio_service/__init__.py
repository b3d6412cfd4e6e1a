"""Run audio in a background task and wire it to the desktop's media controls.

The Python counterpart of Flutter's ``audio_service``.
"""

from audio_session import __version__

__all__ = ["__version__"]
