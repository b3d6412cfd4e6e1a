"""Package attributes that load on first use (PEP 562), shared by both packages' ``__init__``.

So that a process imports only the parts it uses: a background host, a CLI or an
app that needs one enum stays quick to start.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, namespace: dict[str, Any], table: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` for ``table`` (name -> relative module)."""

    def getattr_(name: str) -> object:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module, package), name)
        namespace[name] = value  # later lookups skip this function
        return value

    def dir_() -> list[str]:
        # The public API only: helpers the ``__init__`` imports (``TYPE_CHECKING``, this
        # function) and private submodules loaded so far are not part of it.
        dunders = {name for name in namespace if name.startswith("__") and name.endswith("__")}
        return sorted(dunders | set(namespace.get("__all__", ())) | set(table))

    return getattr_, dir_
