"""The checker's output: a table per player for people, one JSON document for programs."""

from __future__ import annotations

import json
from collections.abc import Sequence

from audio_service._conformance._findings import PlayerReport, Verdict

__all__ = ["render_json", "render_table"]

_MARK = {Verdict.PASS: "pass", Verdict.WARN: "WARN", Verdict.FAIL: "FAIL", Verdict.SKIP: "skip"}


def render_table(reports: Sequence[PlayerReport]) -> str:
    lines: list[str] = []
    for report in reports:
        if lines:
            lines.append("")
        lines.append(f"{report.bus_name} ({report.owner})")
        width = max(len(finding.check) for finding in report.findings)
        affects_width = max(len(", ".join(f.affects)) for f in report.findings)
        for finding in report.findings:
            affects = ", ".join(finding.affects)
            lines.append(
                f"  {_MARK[finding.verdict]:<4}  {finding.check:<{width}}  "
                f"{affects:<{affects_width}}  {finding.detail}"
            )
        counts = [f"{report.count(v)} {v}" for v in Verdict if report.count(v)]
        lines.append(f"  {', '.join(counts)}")
    return "\n".join(lines)


def render_json(reports: Sequence[PlayerReport]) -> str:
    return json.dumps(
        {
            "failed": any(report.failed for report in reports),
            "players": [report.as_json() for report in reports],
        },
        indent=2,
        ensure_ascii=False,
    )
