"""Every Python block of README.md and docs/*.md runs as written.

A block is run as a script against the rig, unless a visible marker right before
it says otherwise: ``<!-- example: examples/x.py -->`` (the block is that file,
verbatim, and ``test_examples.py`` runs it) or ``<!-- fragment: why -->`` (a piece
of a larger program, only compiled). New blocks are picked up automatically.
"""

from __future__ import annotations

import ast
import asyncio
import os
import sys
from pathlib import Path

import pytest
from docs_support import EXAMPLES, ROOT, Block, all_blocks, python_blocks

from audio_session.testing import AudioRig

BLOCKS = all_blocks()


def of_kind(kind: str) -> list[Block]:
    return [block for block in BLOCKS if block.kind == kind]


def test_the_documents_have_python_blocks() -> None:
    assert len(of_kind("example")) >= 3, [block.id for block in BLOCKS]


@pytest.mark.parametrize("block", of_kind("example"), ids=lambda block: block.id)
def test_an_example_block_is_its_file_verbatim(block: Block) -> None:
    path = ROOT / block.note
    assert path.is_file(), f"{block.id}: no file {block.note}"
    assert path.parent == EXAMPLES, f"{block.id}: examples live in examples/"
    assert block.code == path.read_text(), f"{block.id} differs from {block.note}"


def test_a_fragment_says_why_and_compiles() -> None:
    for block in of_kind("fragment"):  # (none today; a block that cannot run alone says why)
        assert len(block.note) > 10, f"{block.id}: say why this block cannot run alone"
        compile(block.code, block.id, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def test_every_example_is_shown_in_the_readme() -> None:
    shown = {block.note for block in of_kind("example")}
    files = {f"examples/{path.name}" for path in EXAMPLES.glob("*.py")}
    assert files <= shown, f"not shown in a document: {sorted(files - shown)}"


@pytest.mark.audio_server("pipewire")
@pytest.mark.parametrize("block", of_kind("run"), ids=lambda block: block.id)
async def test_a_block_runs_as_written(block: Block, audio_rig: AudioRig, tmp_path: Path) -> None:
    script = tmp_path / "snippet.py"
    script.write_text(block.code)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        cwd=tmp_path,
        env=os.environ,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, f"{block.id} failed:\n{output.decode(errors='replace')}"


def test_markers_are_read_from_the_line_before_the_block(tmp_path: Path) -> None:
    document = tmp_path / "doc.md"
    document.write_text(
        "Intro\n\n```python\nprint(1)\n```\n\n"
        "<!-- fragment: a method body, shown alone -->\n```python\nreturn 2\n```\n\n"
        "<!-- example: examples/x.py -->\n\n```python\nprint(3)\n```\n"
        "```sh\necho not python\n```\n"
    )
    blocks = python_blocks(document)
    assert [(b.kind, b.note, b.code, b.line) for b in blocks] == [
        ("run", "", "print(1)\n", 3),
        ("fragment", "a method body, shown alone", "return 2\n", 8),
        ("example", "examples/x.py", "print(3)\n", 14),
    ]
