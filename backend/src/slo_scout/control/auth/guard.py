"""Role checks for endpoints and services."""

from __future__ import annotations

from slo_scout.control.auth.principal import Principal
from slo_scout.control.errors import Forbidden, NotFound


def require(principal: Principal, team: str, role: str) -> None:
    if not principal.can(team, role):
        held = principal.role_in(team) or "no role"
        raise Forbidden(f"this needs the {role} role in team '{team}'; you have {held}")


def require_visible(principal: Principal, team: str, role: str, what: str) -> None:
    """:func:`require` for a resource named by the caller (``what``, e.g. ``service 'x'``).

    A caller with no role in the owning team is told the resource does not exist, in the same
    words as for one that does not: a 403 would confirm that another team's service, SLO or job
    exists. A caller who may see it but lacks ``role`` still gets :class:`Forbidden`.
    """
    if principal.role_in(team) is None:
        raise NotFound(what)
    require(principal, team, role)
