"""Media-control surfaces over a running service.

The platform-neutral pieces sit here, the platform code in one folder per platform. A new
platform (Windows SMTC, macOS Now Playing) adds a folder beside ``_linux/`` and a branch in
``_startup``.
"""
