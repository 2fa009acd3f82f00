"""Four eyes: who may approve a change. The one place review decides it (SLOs and bundles).

Four eyes means two people, not two names: an admin can mint a key for a made-up subject, so
an approver whose key was issued by the author of the change (or by a key the author issued,
and so on back) is the author again, and may not approve it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.auth import repository
from slo_scout.control.auth.principal import Principal
from slo_scout.control.errors import Forbidden

# a chain of keys issuing keys longer than this is cut (and refused): no honest setup has one
MAX_CHAIN = 64


async def issuers_of(session: AsyncSession, principal: Principal) -> list[str]:
    """Who issued the principal's key, who issued that one's, ... (nearest first)."""
    chain: list[str] = []
    seen: set[int] = set()
    key_id = principal.key_id
    while key_id is not None and key_id not in seen and len(seen) < MAX_CHAIN:
        seen.add(key_id)
        key = await repository.key_by_id(session, key_id)
        if key is None:
            break
        chain.append(key.created_by)
        key_id = key.issued_by_key_id
    return chain


async def check_may_approve(
    session: AsyncSession, principal: Principal, author: str, authored: str,
    *, allow_self_approval: bool,
) -> None:
    """Raises Forbidden unless ``principal`` is another person than ``author`` (nor holds a
    key the author issued, directly or through keys the author issued), or self-approval is
    configured. ``authored`` says what the author did, for the message ("made the change being
    approved")."""
    if allow_self_approval:
        return
    if principal.subject == author:
        raise Forbidden(f"you {authored}; another approver must approve it")
    chain = await issuers_of(session, principal)
    if author in chain:
        via = " -> ".join([author, *reversed(chain[: chain.index(author)]), principal.subject])
        raise Forbidden(f"your key was issued by {author}, who {authored}"
                        f" (keys issued: {via}); another approver must approve it")
