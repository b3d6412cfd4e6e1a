"""Entrypoint references: only what another process can import by name is accepted."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from audio_service._connect._launcher import (
    SCRIPT_MODULE,
    EntrypointRef,
    LaunchError,
    load_entrypoint,
    reference_entrypoint,
)


def top_level_entrypoint() -> None:
    """An entrypoint as the seeds want it."""


class _Holder:
    @staticmethod
    def static_entrypoint() -> None:
        """Nested in a class: the host could not find it by its name."""


def test_a_top_level_function_is_referenced_by_module_and_name() -> None:
    ref = reference_entrypoint(top_level_entrypoint)
    assert ref == EntrypointRef(__name__, "top_level_entrypoint")
    assert load_entrypoint(ref) is top_level_entrypoint


def test_nested_functions_lambdas_and_methods_are_refused_with_a_clear_error() -> None:
    def local_entrypoint() -> None:
        pass

    with pytest.raises(ValueError, match="top-level function"):
        reference_entrypoint(local_entrypoint)
    with pytest.raises(ValueError, match="top-level"):
        reference_entrypoint(_Holder.static_entrypoint)
    with pytest.raises(ValueError, match="top-level"):
        reference_entrypoint(lambda: None)
    with pytest.raises(TypeError, match="top-level function"):
        reference_entrypoint(print)  # type: ignore[arg-type]


def test_a_function_shadowed_at_module_level_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    original = top_level_entrypoint
    monkeypatch.setattr(sys.modules[__name__], "top_level_entrypoint", lambda: None)
    with pytest.raises(ValueError, match="not reachable by name"):
        reference_entrypoint(original)


def test_a_script_entrypoint_loads_without_running_the_scripts_main_block(tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    marker = tmp_path / "main-block-ran"
    script.write_text(
        textwrap.dedent(
            f"""
            def entrypoint():
                return "task"

            if __name__ == "__main__":
                open({str(marker)!r}, "w").close()
            """
        )
    )
    loaded = load_entrypoint(EntrypointRef("__main__", "entrypoint", str(script)))
    assert loaded() == "task"
    assert not marker.exists()
    assert sys.modules[SCRIPT_MODULE].__file__ == str(script)


def test_a_reference_to_something_that_is_not_a_function_fails_clearly() -> None:
    with pytest.raises(LaunchError, match="is not a function"):
        load_entrypoint(EntrypointRef(__name__, "SCRIPT_MODULE"))
    with pytest.raises(ModuleNotFoundError):
        load_entrypoint(EntrypointRef("no_such_module_here", "main"))
