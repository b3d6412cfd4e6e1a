"""Packaging promises: both packages import anywhere, audio_session stands alone, typed."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

import audio_service
import audio_session
from audio_service.cli import main


def test_audio_session_never_imports_audio_service() -> None:
    code = (
        "import sys, audio_session, audio_session.testing;"
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] == 'audio_service');"
        "print(leaked); sys.exit(1 if leaked else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_both_packages_ship_py_typed() -> None:
    for package in (audio_session, audio_service):
        assert resources.files(package.__name__).joinpath("py.typed").is_file()


def test_console_command_reports_its_version(capsys: object) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "audio_service.cli", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"audio-service {audio_session.__version__}"
    assert main([]) == 0


def test_dir_lists_the_public_api_only() -> None:
    for package in (audio_session, audio_service):
        public = {name for name in package.__all__ if not name.startswith("__")}
        listed = {name for name in dir(package) if not name.startswith("__")}
        assert listed == public, package.__name__
        for name in package.__all__:
            assert getattr(package, name) is not None


def test_each_layer_folder_says_what_it_holds() -> None:
    top = resources.files("audio_service")
    modules = sorted(p.name for p in top.iterdir() if p.name.endswith(".py"))
    assert modules == [
        "__init__.py",
        "_errors.py",
        "_shared_tasks.py",
        "cli.py",
        "gtk.py",
        "qt.py",
        "sync.py",
    ]
    for layer in ("_model", "_service", "_surfaces", "_connect", "_api", "_adapters"):
        package = importlib.import_module(f"audio_service.{layer}")
        assert package.__doc__, layer


def test_the_version_is_one_release_everywhere() -> None:
    from importlib.metadata import metadata

    meta = metadata("audio-service-kit")
    assert meta["Version"] == audio_session.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", audio_session.__version__), "a release: no --pre"
    classifiers = meta.get_all("Classifier") or []
    systems = [c for c in classifiers if c.startswith("Operating System")]
    assert systems == ["Operating System :: POSIX :: Linux"]
    extras = meta.get_all("Provides-Extra") or []
    assert "testing" in extras
    testing = [r for r in meta.get_all("Requires-Dist") or [] if "extra == 'testing'" in r]
    assert sorted(re.split(r"[<>=;\s]", r)[0] for r in testing) == ["pytest", "pytest-asyncio"]


LAZY_PACKAGES = ["audio_session", "audio_service", "audio_service.players", "audio_service.demo"]


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_each_lazy_table_type_checking_import_and_all_agree(package: str) -> None:
    # Three lists of one API: a name missing from one is invisible to mypy, dir() or import *.
    module = importlib.import_module(package)
    source = Path(module.__file__ or "").read_text()
    tree = ast.parse(source)
    table: dict[str, str] = {}
    checked: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "_LAZY":
            table = ast.literal_eval(node.value)
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for imported in node.body:
                assert isinstance(imported, ast.ImportFrom)
                relative = "." * imported.level + (imported.module or "")
                for alias in imported.names:
                    checked[alias.asname or alias.name] = importlib.util.resolve_name(
                        relative, package
                    )
    assert set(table) == set(checked), package
    for name, where in table.items():
        absolute = importlib.util.resolve_name(where, package)
        assert checked[name] == absolute, f"{package}.{name}: {where} vs {checked[name]}"
        assert getattr(importlib.import_module(absolute), name) is getattr(module, name)
    public = {name for name in module.__all__ if not name.startswith("__")}
    assert public == set(table), package


def test_one_name_one_thing() -> None:
    # Two classes of one name (an event and an exception, a Protocol and a class) make
    # tracebacks, imports and docs ambiguous.
    places: dict[str, list[str]] = {}
    source = Path(audio_session.__file__).parents[1]
    for path in sorted(source.rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef):
                places.setdefault(node.name, []).append(str(path.relative_to(source)))
    assert {name: where for name, where in places.items() if len(where) > 1} == {}
