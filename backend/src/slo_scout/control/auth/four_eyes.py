"""Four eyes: who may approve a change. The one place review decides it (SLOs and bundles)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.auth.principal import Principal
from slo_scout.control.errors import Forbidden


async def check_may_approve(
    session: AsyncSession, principal: Principal, author: str, authored: str,
    *, allow_self_approval: bool,
) -> None:
    """Raises Forbidden unless ``principal`` is another person than ``author``, or
    self-approval is configured. ``authored`` says what the author did, for the message
    ("made the change being approved")."""
    if allow_self_approval:
        return
    if principal.subject == author:
        raise Forbidden(f"you {authored}; another approver must approve it")
