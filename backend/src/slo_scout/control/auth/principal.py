"""Who is calling and what they may do: roles viewer < editor < approver < admin, per team."""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("viewer", "editor", "approver", "admin")
ALL_TEAMS = "*"


def rank(role: str) -> int:
    return ROLES.index(role)


@dataclass(frozen=True)
class Principal:
    subject: str  # "key:<name>" or "oidc:<sub>"
    grants: dict[str, str] = field(default_factory=dict)  # team (or "*") -> role
    # the API key authenticated (its id), so four eyes can follow who issued it; None for OIDC
    key_id: int | None = None

    def role_in(self, team: str) -> str | None:
        roles = [r for t, r in self.grants.items() if t in (team, ALL_TEAMS) and r in ROLES]
        return max(roles, key=rank) if roles else None

    def can(self, team: str, role: str) -> bool:
        held = self.role_in(team)
        return held is not None and rank(held) >= rank(role)

    def administers_any(self) -> bool:
        return any(self.can(team, "admin") for team in self.grants)

    def visible_teams(self) -> set[str] | None:
        """Teams this principal may read; None means every team."""
        if ALL_TEAMS in self.grants:
            return None
        return set(self.grants)
