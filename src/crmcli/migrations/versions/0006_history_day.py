"""The business day of each recorded change, so past duties follow the stage and owner
a customer had then.

``history.at`` is when a change was recorded (UTC). A miss of a past day is charged to
whoever owned the customer that day, and only if its stage owed the duty then; that
needs the day the change took effect in the team's calendar, which a back-dated
command (``--as-of``) gives and ``at`` does not. Rows recorded before this revision
take the UTC date of ``at``. The index serves the one question every duty list asks
first: did any stage or owner change after the day in question?

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.add_column(sa.Column("on", sa.Date(), nullable=True))
        batch_op.create_index("ix_history_field_on", ["field", "on"], unique=False)
    history = sa.table("history", sa.column("at", sa.DateTime()), sa.column("on", sa.Date()))
    op.execute(history.update().values(on=sa.func.date(history.c.at)))


def downgrade() -> None:
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.drop_index("ix_history_field_on")
        batch_op.drop_column("on")
