"""Finding the Python blocks of the README and docs/, and what each one is."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXAMPLES = ROOT / "examples"

#: The visible marker before a block that is not run as written:
#: ``<!-- example: examples/x.py -->`` (the block is that file, which a test runs) or
#: ``<!-- fragment: why it cannot run alone -->`` (only compiled).
MARKER = re.compile(r"^<!--\s*(example|fragment):\s*(.*?)\s*-->$")
FENCE = re.compile(r"^```python\s*$")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    code: str
    kind: str  # "run", "example" or "fragment"
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def python_blocks(path: Path) -> list[Block]:
    lines = path.read_text().splitlines()
    found = []
    index = 0
    while index < len(lines):
        if not FENCE.match(lines[index]):
            index += 1
            continue
        start = index
        end = start + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        code = "\n".join(lines[start + 1 : end]) + "\n"
        before = start - 1
        while before >= 0 and not lines[before].strip():
            before -= 1
        marker = MARKER.match(lines[before].strip()) if before >= 0 else None
        kind, note = (marker.group(1), marker.group(2)) if marker else ("run", "")
        found.append(Block(path, start + 1, code, kind, note))
        index = end + 1
    return found


def all_blocks() -> list[Block]:
    return [block for document in DOCUMENTS for block in python_blocks(document)]
