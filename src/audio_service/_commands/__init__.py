"""Subcommands of the ``audio-service`` console command.

Each module here has ``register(subparsers)``, which adds its subcommand(s) and
sets ``handler`` (``args -> int`` exit status, or an ``async`` one) as the parser default.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil


def register_all(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}").register(subparsers)
