"""Sale amounts in millionths instead of cents.

Order lines are priced below the cent (15.552 a piece); kept in cents their sums would
differ from the source file's. Every stored amount is multiplied by 10,000: the same
value, exactly, in the finer unit.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_sale = sa.table("sale", sa.column("amount_micros", sa.BigInteger()))
_old = sa.table("sale", sa.column("amount_cents", sa.BigInteger()))


def upgrade() -> None:
    with op.batch_alter_table("sale", schema=None) as batch_op:
        batch_op.alter_column("amount_cents", new_column_name="amount_micros")
    op.execute(_sale.update().values(amount_micros=_sale.c.amount_micros * 10_000))


def downgrade() -> None:
    # Amounts with more than two decimals are rounded half away from zero to the cent.
    with op.batch_alter_table("sale", schema=None) as batch_op:
        batch_op.alter_column("amount_micros", new_column_name="amount_cents")
    sign = sa.case((_old.c.amount_cents < 0, -1), else_=1)
    op.execute(
        _old.update().values(amount_cents=sign * ((sign * _old.c.amount_cents + 5_000) / 10_000))
    )
