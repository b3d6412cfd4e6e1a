"""What a public call raises: public types the app can catch, with what it needs to act."""

from __future__ import annotations

import builtins
import os
from pathlib import Path

import host_task
import pytest

import audio_service
from audio_service import (
    AudioServiceClient,
    AudioServiceError,
    HostStartError,
    ServiceConnectionError,
    TaskError,
    TaskErrorInfo,
)
from audio_service._connect._remote import log_path

APP_ID = "o.errors"


@pytest.mark.parametrize("in_process", [False, True], ids=["host", "in-process"])
async def test_a_builtin_exception_in_a_callback_is_catchable_by_its_type(
    client: AudioServiceClient, in_process: bool
) -> None:
    assert await client.start(host_task.entrypoint, app_id=APP_ID, in_process=in_process)
    with pytest.raises(ValueError, match="the task refused") as raised:
        await client.custom_action("boom")
    error = raised.value
    assert isinstance(error, TaskError)
    assert error.error_type == "ValueError"
    assert 'raise ValueError("the task refused")' in error.remote_traceback
    for kind in ("KeyError", "PermissionError", "LookupError", "ZeroDivisionError"):
        with pytest.raises(getattr(builtins, kind)) as raised_kind:
            await client.custom_action("raise", kind)
        assert isinstance(raised_kind.value, TaskError)
    # Anything else stays a plain TaskError, with its qualified name.
    with pytest.raises(TaskError) as other:
        await client.custom_action("raise", "custom")
    assert type(other.value) is TaskError
    assert other.value.error_type == "host_task.CustomError"


def test_only_builtin_types_are_mixed_in() -> None:
    info = TaskErrorInfo(request="play", error_type="KeyboardInterrupt", message="no")
    assert type(TaskError(info)) is TaskError
    info = TaskErrorInfo(request="play", error_type="KeyError", message="k")
    error = TaskError(info)
    assert isinstance(error, KeyError)
    assert str(error) == "play: the task raised KeyError: k"


async def test_a_task_that_fails_to_start_names_the_log_and_shows_the_traceback(
    client: AudioServiceClient,
) -> None:
    with pytest.raises(RuntimeError, match="told to fail") as raised:
        await client.start(host_task.entrypoint, {"fail": True}, app_id=APP_ID)
    message = str(raised.value)
    assert str(log_path(APP_ID)) in message
    assert "audio-service logs o.errors" in message
    assert 'raise RuntimeError("on_start was told to fail")' in message


async def test_a_host_that_cannot_start_is_a_public_error_naming_its_log(
    client: AudioServiceClient,
) -> None:
    with pytest.raises(HostStartError) as raised:
        await client.start(host_task.exits_at_import, app_id=APP_ID)
    assert raised.value.log_path == str(log_path(APP_ID))
    assert str(log_path(APP_ID)) in str(raised.value)
    assert isinstance(raised.value, AudioServiceError)


async def test_an_unusable_socket_directory_is_a_public_error(
    client: AudioServiceClient, runtime: Path
) -> None:
    (runtime / "audio-service").mkdir(mode=0o755)
    os.chmod(runtime / "audio-service", 0o755)
    with pytest.raises(ServiceConnectionError, match="mode 0755"):
        await client.connect()
    with pytest.raises(ServiceConnectionError):
        await client.start(host_task.entrypoint, app_id=APP_ID)


def test_every_exported_exception_is_an_audio_service_error() -> None:
    for name in audio_service.__all__:
        value = getattr(audio_service, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            assert issubclass(value, AudioServiceError), name


def test_public_exceptions_show_their_public_path() -> None:
    for name in audio_service.__all__:
        value = getattr(audio_service, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            assert value.__module__ == "audio_service", name
            assert getattr(audio_service, value.__qualname__) is value
    info = TaskErrorInfo(request="play", error_type="ValueError", message="no")
    assert type(TaskError(info)).__module__ == "audio_service"
