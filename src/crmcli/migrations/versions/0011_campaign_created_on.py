"""The business day each campaign was added, so that a past day's duties leave out the
campaigns nobody had announced yet.

``remind --as-of`` a past day, ``greet missed`` and the fines would otherwise owe
notices of a campaign added after that day. A campaign added with ``--as-of`` keeps
that day; campaigns recorded before this revision take the UTC date of ``created_at``.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_on", sa.Date(), nullable=True))
    campaign = sa.table(
        "campaign", sa.column("created_at", sa.DateTime()), sa.column("created_on", sa.Date())
    )
    op.execute(campaign.update().values(created_on=sa.func.date(campaign.c.created_at)))
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.alter_column("created_on", existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_column("created_on")
