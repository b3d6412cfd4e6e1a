"""The exceptions that clients of a background audio task see."""

from __future__ import annotations

import traceback as _traceback

import msgspec

__all__ = [
    "AudioServiceError",
    "NotConnectedError",
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

    In-process, the original exception is also the ``__cause__``. Across
    processes only its type name, message and formatted traceback survive.
    """

    def __init__(self, info: TaskErrorInfo) -> None:
        super().__init__(f"{info.request}: the task raised {info.error_type}: {info.message}")
        self.info = info

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
