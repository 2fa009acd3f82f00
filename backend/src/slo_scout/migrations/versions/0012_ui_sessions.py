"""Browser sessions of the review UI: an API key signed in once, a cookie afterwards.

Only a SHA-256 of the session token is stored (like API keys), with the key it was opened
with (so revoking the key ends the session), or for an OIDC sign-in the subject and the grants
its id token carried, the CSRF token its forms carry, and its expiry.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ui_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("key_id", sa.Integer, sa.ForeignKey("api_keys.id", ondelete="CASCADE"),
                  nullable=True),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("grants", sa.JSON, nullable=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ui_sessions_key_id", "ui_sessions", ["key_id"])
    op.create_index("ix_ui_sessions_expires_at", "ui_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_ui_sessions_expires_at", "ui_sessions")
    op.drop_index("ix_ui_sessions_key_id", "ui_sessions")
    op.drop_table("ui_sessions")
