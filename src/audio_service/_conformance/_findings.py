"""What a conformance check found: one verdict per check, with the shells it matters to."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = ["Finding", "PlayerReport", "Shell", "Verdict"]


class Verdict(enum.StrEnum):
    """``fail`` breaks a shell; ``warn`` degrades one; ``skip`` could not be tried here."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


class Shell(enum.StrEnum):
    """The consumers a finding is about (see docs/LINUX.md for what each needs)."""

    GNOME = "GNOME Shell"
    GSD = "gsd-media-keys"
    KDE = "KDE Plasma"
    XFCE = "Xfce"
    PLAYERCTL = "playerctl"
    ANY = "any client"


@dataclass(frozen=True)
class Finding:
    """The outcome of one check on one player."""

    check: str
    verdict: Verdict
    affects: tuple[Shell, ...]
    detail: str

    def as_json(self) -> dict[str, object]:
        return {
            "check": self.check,
            "verdict": str(self.verdict),
            "affects": [str(shell) for shell in self.affects],
            "detail": self.detail,
        }


@dataclass
class PlayerReport:
    """Every finding on one player, in the order the checks ran."""

    bus_name: str
    owner: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(finding.verdict is Verdict.FAIL for finding in self.findings)

    def verdict_of(self, check: str) -> Verdict:
        """The verdict of ``check`` (KeyError when it did not run)."""
        for finding in self.findings:
            if finding.check == check:
                return finding.verdict
        raise KeyError(check)

    def count(self, verdict: Verdict) -> int:
        return sum(1 for finding in self.findings if finding.verdict is verdict)

    def as_json(self) -> dict[str, object]:
        return {
            "bus_name": self.bus_name,
            "owner": self.owner,
            "failed": self.failed,
            "findings": [finding.as_json() for finding in self.findings],
        }
