"""Starting a detached host process for a background task, and knowing when it is ready.

The starter passes the host a :class:`HostSpec` on its standard input and a
pipe on which the host reports, once, how the start went: ``ready`` after the
task's ``on_start`` finished, ``running`` when another host already serves the
app id, or ``error`` with the reason. The host detaches (a second fork), so it
neither dies with its starter nor lingers as the starter's zombie.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import inspect
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, cast

import msgspec

from audio_service._errors import TaskErrorInfo
from audio_service._model._models import ServiceConfig
from audio_service._service._statedir import open_private_append

__all__ = [
    "EntrypointRef",
    "HostSpec",
    "LaunchError",
    "StartReport",
    "default_app_id",
    "launch_host",
    "load_entrypoint",
    "reference_entrypoint",
]

#: The module name a ``__main__`` script's entrypoint is loaded under in the host,
#: so that the script's ``if __name__ == "__main__":`` block does not run again there.
SCRIPT_MODULE = "__audio_service_entrypoint__"


class LaunchError(RuntimeError):
    """The host process could not be started or failed before it was ready."""


class EntrypointRef(msgspec.Struct, frozen=True):
    """Where the host finds the entrypoint: ``module:qualname``, or a script's path."""

    module: str
    qualname: str
    path: str | None = None

    def __str__(self) -> str:
        return f"{self.path or self.module}:{self.qualname}"


class HostSpec(msgspec.Struct, frozen=True):
    """Everything the host needs to start a service."""

    app_id: str
    entrypoint: EntrypointRef
    params: dict[str, Any] | None
    config: ServiceConfig
    sys_path: list[str]
    cwd: str
    log_path: str | None = None


class StartReport(msgspec.Struct, frozen=True):
    """The host's one message on the readiness pipe."""

    status: Literal["ready", "running", "error"]
    message: str = ""
    pid: int = 0
    #: With status ``error``: what ``on_start`` (or loading the task) raised.
    error: TaskErrorInfo | None = None


def reference_entrypoint(entrypoint: Callable[[], object]) -> EntrypointRef:
    """How another process can import ``entrypoint``; it must be a top-level function.

    The seeds' rule (a top-level or static function) exists for the same reason:
    the background process can only find the entrypoint by name.
    """
    if not inspect.isfunction(entrypoint):
        raise TypeError(
            "background_task_entrypoint must be a top-level function, not "
            f"{type(entrypoint).__name__}"
        )
    qualname = entrypoint.__qualname__
    if "<locals>" in qualname or "." in qualname or qualname != entrypoint.__name__:
        raise ValueError(
            f"background_task_entrypoint must be a top-level function so that the background "
            f"process can import it; {qualname!r} is nested in a class or function"
        )
    if "<lambda>" in qualname:
        raise ValueError("background_task_entrypoint must be a named top-level function")
    module = sys.modules.get(entrypoint.__module__)
    main = entrypoint.__module__ == "__main__"
    path = getattr(module, "__file__", None) if main else None
    interactive = entrypoint.__code__.co_filename.startswith("<")  # <stdin>, <console>...
    if interactive or (main and path is None):
        # python -m asyncio, IPython, a notebook: nothing another process could import.
        raise ValueError(
            "an entrypoint defined in an interactive session cannot be imported by the "
            "background process: put it in a module or script file, or pass in_process=True"
        )
    if module is None or getattr(module, qualname, None) is not entrypoint:
        raise ValueError(
            f"{entrypoint.__module__}.{qualname} is not reachable by name at module level: "
            "the background process imports it by name (or pass in_process=True)"
        )
    if main:
        assert path is not None
        return EntrypointRef("__main__", qualname, str(Path(path).resolve()))
    return EntrypointRef(entrypoint.__module__, qualname)


def default_app_id(ref: EntrypointRef) -> str:
    """A stable app id from where the entrypoint lives: its module (or script) and its name.

    ``myapp.audio:entrypoint`` gives ``myapp.audio.entrypoint`` and a script
    ``/x/podcasts.py`` with ``main`` gives ``podcasts.main``: the same app gets the
    same id on every run, and two apps never share one by accident.
    """
    base = Path(ref.path).stem if ref.path is not None else ref.module
    parts = [re.sub(r"[^A-Za-z0-9_-]", "_", part) for part in (*base.split("."), ref.qualname)]
    parts = [f"_{part}" if part[0].isdigit() else part for part in parts if part]
    return ".".join(parts)


def load_entrypoint(ref: EntrypointRef) -> Callable[[], object]:
    """Import the entrypoint a :class:`EntrypointRef` names (in the host process)."""
    if ref.path is not None:
        spec = importlib.util.spec_from_file_location(SCRIPT_MODULE, ref.path)
        if spec is None or spec.loader is None:
            raise LaunchError(f"cannot load the entrypoint script {ref.path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[SCRIPT_MODULE] = module
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(ref.module)
    entrypoint = getattr(module, ref.qualname, None)
    if not callable(entrypoint):
        raise LaunchError(f"{ref} is not a function")
    return cast(Callable[[], object], entrypoint)


async def launch_host(spec: HostSpec, *, timeout: float = 30.0) -> StartReport:
    """Start a detached host for ``spec`` and wait for its start report.

    Raises :class:`LaunchError` when the host dies or says nothing within ``timeout``;
    a task whose ``on_start`` raised comes back as a report with status ``error``.
    """
    read_fd, write_fd = os.pipe()
    log = _open_log(spec.log_path)
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "audio_service._connect._host_entry",
            "--report-fd",
            str(write_fd),
            stdin=asyncio.subprocess.PIPE,
            stdout=log,
            stderr=log,
            pass_fds=(write_fd,),
            start_new_session=True,
            cwd=spec.cwd,
        )
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
        if log is not subprocess.DEVNULL:
            log.close()
    assert process.stdin is not None
    process.stdin.write(msgspec.msgpack.encode(spec))
    await process.stdin.drain()
    process.stdin.close()
    try:
        raw = await asyncio.wait_for(_read_all(read_fd), timeout)
    except TimeoutError:
        raise LaunchError(
            f"the host for {spec.app_id!r} did not report within {timeout} s" + _log_hint(spec)
        ) from None
    finally:
        os.close(read_fd)
        # The first process only forks the real host and exits: reap it at once.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), 5.0)
    if not raw:
        raise LaunchError(
            f"the host for {spec.app_id!r} exited before it was ready" + _log_hint(spec)
        )
    try:
        return msgspec.msgpack.decode(raw, type=StartReport)
    except msgspec.DecodeError as error:
        raise LaunchError(f"the host sent an unreadable start report: {error}") from None


async def _read_all(fd: int) -> bytes:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(os.dup(fd), "rb", buffering=0)
    )
    try:
        return await reader.read()
    finally:
        transport.close()


def _open_log(path: str | None) -> Any:
    if path is None:
        return subprocess.DEVNULL
    # 0600 in a 0700 directory: the log names clients, pids and errors.
    return os.fdopen(open_private_append(Path(path)), "ab")  # handed to the child, closed after


def _log_hint(spec: HostSpec) -> str:
    if spec.log_path is None:
        return ""
    try:
        tail = Path(spec.log_path).read_text(errors="replace").splitlines()[-10:]
    except OSError:
        return ""
    return f"; its log {spec.log_path} ends with:\n" + "\n".join(tail)
