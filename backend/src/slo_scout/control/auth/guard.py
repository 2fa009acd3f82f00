"""Role checks for endpoints and services."""

from __future__ import annotations

from slo_scout.control.auth.principal import Principal
from slo_scout.control.errors import Forbidden


def require(principal: Principal, team: str, role: str) -> None:
    if not principal.can(team, role):
        held = principal.role_in(team) or "no role"
        raise Forbidden(f"this needs the {role} role in team '{team}'; you have {held}")
