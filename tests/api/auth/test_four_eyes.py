"""The four-eyes decision itself (``control.auth.four_eyes``), as SLO review and bundle approval
call it: the author may not approve, nor any key the author minted, directly or through keys
it minted; another person may."""

from __future__ import annotations

import asyncio

from tests.api.conftest import ADMIN_KEY, NOW

from slo_scout.control.auth import service
from slo_scout.control.auth.four_eyes import check_may_approve
from slo_scout.control.auth.principal import Principal
from slo_scout.control.errors import Forbidden
from slo_scout.db.engine import create_engine, session_factory

CHANGED = "made the change being approved"


async def _decisions(url: str) -> dict[str, str]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            await service.ensure_bootstrap_key(session, ADMIN_KEY, NOW)
            root = await service.principal_for_key(session, ADMIN_KEY)

            async def mint(by: Principal, subject: str, role: str) -> Principal:
                key, _ = await service.issue_key(session, by, subject=subject, name=subject,
                                                 team="shop", role=role, now=NOW)
                return await service.principal_for_key(session, key)

            tina = await mint(root, "tina", "admin")
            sock = await mint(tina, "sock", "approver")
            middle = await mint(tina, "middle", "admin")
            deep = await mint(middle, "deep", "approver")
            dave = await mint(root, "dave", "approver")
            oidc = Principal("oidc:olga", {"shop": "approver"})
            out = {}
            for name, who in (("tina", tina), ("sock", sock), ("deep", deep), ("dave", dave),
                              ("oidc", oidc)):
                try:
                    await check_may_approve(session, who, "key:tina", CHANGED,
                                            allow_self_approval=False)
                    out[name] = "allowed"
                except Forbidden as refused:
                    out[name] = refused.detail
                await check_may_approve(session, who, "key:tina", CHANGED,
                                        allow_self_approval=True)
            return out
    finally:
        await engine.dispose()


def test_the_author_and_every_key_it_minted_are_refused(migrated_url: str) -> None:
    decided = asyncio.run(_decisions(migrated_url))
    assert decided["tina"].startswith("you made the change being approved")
    assert decided["sock"].startswith("your key was issued by key:tina, who made the change")
    assert "key:tina -> key:middle -> key:deep" in decided["deep"]
    assert decided["dave"] == decided["oidc"] == "allowed"


async def _take_the_bootstrap_name(url: str) -> str:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            # no bootstrap key configured yet: the name is free, and still not a team admin's
            key, _ = await service.issue_operator_key(
                session, subject="tina", name="tina", team="shop", role="admin", now=NOW,
                operator="cli:test")
            tina = await service.principal_for_key(session, key)
            try:
                await service.issue_key(session, tina, subject="bootstrap-admin", name="x",
                                        team="shop", role="viewer", now=NOW)
            except Forbidden as refused:
                return refused.detail
            return "issued"
    finally:
        await engine.dispose()


def test_a_team_admin_cannot_take_the_bootstrap_admins_name_before_it_exists(
    migrated_url: str,
) -> None:
    assert "admin role in team '*'" in asyncio.run(_take_the_bootstrap_name(migrated_url))
