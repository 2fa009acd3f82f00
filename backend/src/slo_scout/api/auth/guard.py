"""Role checks for endpoints and services, raising problem+json 403."""

from __future__ import annotations

from slo_scout.api.auth.principal import Principal
from slo_scout.api.problems import forbidden


def require(principal: Principal, team: str, role: str) -> None:
    if not principal.can(team, role):
        held = principal.role_in(team) or "no role"
        raise forbidden(f"this needs the {role} role in team '{team}'; you have {held}")
