"""Migration 0007 moves grants from subjects to keys: each existing key keeps what it was issued
with (its ``api_key.create`` audit entry), not every role its subject collected."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import sqlalchemy as sa

from slo_scout.db import migrate
from slo_scout.db.engine import create_engine

AT = datetime(2026, 11, 1, tzinfo=UTC)


async def _run(url: str, statements: list[tuple[str, dict[str, object]]]) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for statement, values in statements:
                await connection.execute(sa.text(statement), values)
    finally:
        await engine.dispose()


async def _grants(url: str) -> set[tuple[str, str, str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(sa.text(
                "SELECT k.prefix, g.team, g.role FROM api_key_grants g "
                "JOIN api_keys k ON k.id = g.key_id"))
            return {(r[0], r[1], r[2]) for r in rows}
    finally:
        await engine.dispose()


def test_existing_keys_keep_what_they_were_issued_with(database_url: str) -> None:
    migrate.upgrade(database_url, "0004")
    key = ("INSERT INTO api_keys (prefix, secret_hash, subject, name, created_by, created_at) "
           "VALUES (:p, :h, :s, :s, :by, :at)")
    bind = "INSERT INTO role_bindings (subject, team, role, created_at) VALUES (:s, :t, :r, :at)"
    audit = ("INSERT INTO audit_log (at, actor, action, target_type, target_id, team, details) "
             "VALUES (:at, 'x', :a, 'api_key', :p, NULL, :d)")
    asyncio.run(_run(database_url, [
        (key, {"p": "boot", "h": "0" * 64, "s": "key:bootstrap-admin", "by": "settings",
               "at": AT}),
        (bind, {"s": "key:bootstrap-admin", "t": "*", "r": "admin", "at": AT}),
        (audit, {"at": AT, "a": "api_key.bootstrap", "p": "boot", "d": "{}"}),
        # the escalation this migration ends: a shop viewer key minted for the bootstrap admin
        (key, {"p": "sock", "h": "1" * 64, "s": "key:bootstrap-admin", "by": "key:tina",
               "at": AT}),
        (bind, {"s": "key:bootstrap-admin", "t": "shop", "r": "viewer", "at": AT}),
        (audit, {"at": AT, "a": "api_key.create", "p": "sock",
                 "d": '{"subject": "key:bootstrap-admin", "team": "shop", "role": "viewer"}'}),
        # a key with no audit entry keeps its subject's bindings, as before
        (key, {"p": "old", "h": "2" * 64, "s": "key:ops", "by": "x", "at": AT}),
        (bind, {"s": "key:ops", "t": "payments", "r": "editor", "at": AT}),
    ]))
    migrate.upgrade(database_url)
    assert asyncio.run(_grants(database_url)) == {
        ("boot", "*", "admin"), ("sock", "shop", "viewer"), ("old", "payments", "editor")}
    migrate.downgrade(database_url, "0004")
    migrate.upgrade(database_url)
