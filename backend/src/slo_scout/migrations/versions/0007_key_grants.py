"""Grants belong to API keys, not to a reusable subject name; a key knows the key that issued it.

- ``api_key_grants``: the (team, role) pairs one key carries. A subject's other keys add nothing
  to it: before, every key of ``key:<subject>`` held every role bound to that subject, so a team
  admin issuing a key "for" an existing subject (the bootstrap admin) inherited its grants.
- ``api_keys.issued_by_key_id``: the key that issued this one (null for keys made by the
  settings, the command line or an OIDC user), so four eyes can follow a key back to its minter.

Existing keys keep what they were issued with: the ``api_key.create`` audit entry of each key
(written in the same transaction as the key) names its team and role; the bootstrap key is an
admin of every team; a key with neither keeps its subject's role bindings, as before.
``role_bindings`` stays for OIDC subjects.

Revision ID: 0007
Revises: 0005
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    grants = op.create_table(
        "api_key_grants",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key_id", sa.Integer, sa.ForeignKey("api_keys.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("team", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.UniqueConstraint("key_id", "team"),
    )
    # no foreign key: SQLite cannot add one to an existing table, and keys are never deleted
    op.add_column("api_keys", sa.Column("issued_by_key_id", sa.Integer, nullable=True))
    bind = op.get_bind()
    op.bulk_insert(grants, _existing_grants(bind))


def _existing_grants(bind: sa.Connection) -> list[dict[str, Any]]:
    keys = sa.table("api_keys", sa.column("id", sa.Integer), sa.column("prefix", sa.String),
                    sa.column("subject", sa.String))
    audit = sa.table("audit_log", sa.column("action", sa.String),
                     sa.column("target_id", sa.String), sa.column("details", sa.JSON))
    bindings = sa.table("role_bindings", sa.column("subject", sa.String),
                        sa.column("team", sa.String), sa.column("role", sa.String))
    issued: dict[str, dict[str, str]] = {}
    for action, prefix, details in bind.execute(
        sa.select(audit.c.action, audit.c.target_id, audit.c.details)
        .where(audit.c.action.in_(["api_key.create", "api_key.bootstrap"]))
    ):
        if action == "api_key.bootstrap":
            issued.setdefault(prefix, {})["*"] = "admin"
        elif isinstance(details, dict) and details.get("team") and details.get("role"):
            issued.setdefault(prefix, {})[details["team"]] = details["role"]
    by_subject: dict[str, dict[str, str]] = {}
    for subject, team, role in bind.execute(
            sa.select(bindings.c.subject, bindings.c.team, bindings.c.role)):
        by_subject.setdefault(subject, {})[team] = role
    rows = []
    for key_id, prefix, subject in bind.execute(
            sa.select(keys.c.id, keys.c.prefix, keys.c.subject)):
        for team, role in (issued.get(prefix) or by_subject.get(subject, {})).items():
            rows.append({"key_id": key_id, "team": team, "role": role})
    return rows


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("issued_by_key_id")
    op.drop_table("api_key_grants")
