"""Codes, pinyin sort keys and owners compare byte by byte on PostgreSQL too.

Lists are ordered by these columns; under a server's locale collation (en_US.UTF-8)
the spaces of a pinyin key and the punctuation of a code are ignored, so a listing on
PostgreSQL came out in another order than on SQLite. SQLite already compares bytes
(its BINARY collation): nothing changes there.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = ("code", "sort_key", "owner")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite's BINARY collation is already byte order
    for column in COLUMNS:
        op.alter_column("customer", column, type_=sa.String(collation="C"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.alter_column("customer", column, type_=sa.String())
