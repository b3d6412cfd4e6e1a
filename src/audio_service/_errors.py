"""The exceptions that clients of a background audio task see.

Every exception a public call raises is one of these (or a built-in type the
app passed in a bad value for): lower layers' errors are translated at the edge
of the client, as the layer that knows what failed, so the app can handle them.
"""

from __future__ import annotations

import builtins
import traceback as _traceback

import msgspec

__all__ = [
    "AudioServiceError",
    "HostStartError",
    "NotConnectedError",
    "ServiceConnectionError",
    "ServiceNotRunningError",
    "TaskError",
    "TaskErrorInfo",
]


class AudioServiceError(Exception):
    """Base class of the errors raised by the ``audio_service`` API."""


class NotConnectedError(AudioServiceError):
    """A request was made before :meth:`AudioService.connect` (or after ``disconnect``)."""


class ServiceNotRunningError(AudioServiceError):
    """A request was made while no background task was running (or after it stopped)."""


class ServiceConnectionError(AudioServiceError):
    """The service could not be reached: its socket directory is unusable, it refused
    the handshake (another user, another protocol version), or it did not answer."""


class HostStartError(AudioServiceError):
    """The host process of a service could not start (before the task's ``on_start`` ran).

    :attr:`log_path` is the host's log (``$XDG_STATE_HOME/audio-service/<app_id>.log``,
    also shown by ``audio-service logs <app_id>``); the message ends with its last lines.
    """

    def __init__(self, message: str, *, log_path: str | None = None) -> None:
        super().__init__(message)
        self.log_path = log_path


class TaskErrorInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What crosses a process boundary about a :class:`TaskError`."""

    #: The request whose callback failed, e.g. ``"play"``.
    request: str
    #: The qualified name of the exception type raised by the callback.
    error_type: str
    message: str
    #: The formatted traceback from the task's process.
    traceback: str = ""


class TaskError(AudioServiceError):
    """A callback of the background task raised; the task itself keeps running.

    When the callback raised a built-in exception type (``ValueError``,
    ``KeyError``, ``PermissionError``...), the error is also an instance of
    that type, so ``except ValueError:`` catches it; other types arrive as a
    plain ``TaskError``. In-process, the original exception is also the
    ``__cause__``. Across processes its type name, message and the formatted
    traceback (:attr:`remote_traceback`) survive.
    """

    def __new__(cls, info: TaskErrorInfo, *args: object) -> TaskError:
        if cls is TaskError:
            cls = _builtin_task_error(info.error_type) or cls
        return super().__new__(cls, _message(info))

    def __init__(self, info: TaskErrorInfo) -> None:
        super().__init__(_message(info))
        self.info = info

    def __str__(self) -> str:
        # KeyError's own __str__ would quote the whole message.
        return str(self.args[0]) if self.args else ""

    def __reduce__(self) -> tuple[object, ...]:
        return (TaskError, (self.info,))

    @property
    def request(self) -> str:
        """The request whose callback failed."""
        return self.info.request

    @property
    def error_type(self) -> str:
        """The qualified name of the exception type the callback raised."""
        return self.info.error_type

    @property
    def remote_traceback(self) -> str:
        """The traceback of the callback's exception, formatted where it was raised."""
        return self.info.traceback

    @classmethod
    def from_exception(cls, request: str, error: BaseException) -> TaskError:
        """The error to report for ``error`` raised by the callback of ``request``."""
        kind = type(error)
        name = (
            kind.__qualname__
            if kind.__module__ == "builtins"
            else (f"{kind.__module__}.{kind.__qualname__}")
        )
        info = TaskErrorInfo(
            request=request,
            error_type=name,
            message=str(error),
            traceback="".join(_traceback.format_exception(error)),
        )
        task_error = cls(info)
        task_error.__cause__ = error
        return task_error


def _message(info: TaskErrorInfo) -> str:
    return f"{info.request}: the task raised {info.error_type}: {info.message}"


_BUILTIN_TASK_ERRORS: dict[str, type[TaskError]] = {}


def _builtin_task_error(error_type: str) -> type[TaskError] | None:
    """The ``TaskError`` subclass that is also the built-in exception ``error_type``."""
    cached = _BUILTIN_TASK_ERRORS.get(error_type)
    if cached is not None:
        return cached
    base = getattr(builtins, error_type, None)
    if not (isinstance(base, type) and issubclass(base, Exception)) or issubclass(base, TaskError):
        return None
    if issubclass(base, StopIteration | StopAsyncIteration | UnicodeError | BaseExceptionGroup):
        # Iteration ends mean something else to generators; the others need more arguments.
        return None
    try:
        kind = type(f"Task{error_type}", (TaskError, base), {"__module__": "audio_service"})
    except TypeError:  # an instance layout that cannot be combined
        return None
    kind.__doc__ = f"A task callback raised {error_type}."
    _BUILTIN_TASK_ERRORS[error_type] = kind
    return kind


# Tracebacks name the public path (``audio_service.TaskError``), where apps import them from.
# (Not for the msgspec structs: msgspec resolves their annotations through ``__module__``.)
for _public in (
    AudioServiceError,
    HostStartError,
    NotConnectedError,
    ServiceConnectionError,
    ServiceNotRunningError,
    TaskError,
):
    _public.__module__ = "audio_service"
del _public
