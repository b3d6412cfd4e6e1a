"""Tell the desktop what kind of audio app you are, and hear what it tells you back.

The Python counterpart of Flutter's ``audio_session``: configuration, activation
(audio focus), interruptions, becoming noisy and device changes.
"""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
