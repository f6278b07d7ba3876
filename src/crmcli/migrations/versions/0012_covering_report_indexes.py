"""The reports read a period's sales and follow-ups from covering indexes.

``crm report`` sums sale amounts per currency over a window of days, per customer and
per month, and counts a period's follow-ups by owner, channel and month. With only the
day and the customer in the sale indexes, each of those sums looked up every sale row
(500,000 of them for a year: seconds per query at that size); with the currency and the
amount in the index entry, and a follow-up index that starts with the time, they read
the index alone. The two sale indexes replace the narrower ones they start with.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_sale_customer_on", table_name="sale")
    op.drop_index("ix_sale_on_customer", table_name="sale")
    op.create_index(
        "ix_sale_customer_on_amount",
        "sale",
        ["customer_id", "sold_on", "currency", "amount_micros"],
    )
    op.create_index(
        "ix_sale_on_customer_amount",
        "sale",
        ["sold_on", "customer_id", "currency", "amount_micros"],
    )
    op.create_index("ix_followup_at_owner_channel", "followup", ["at", "owner", "channel"])


def downgrade() -> None:
    op.drop_index("ix_followup_at_owner_channel", table_name="followup")
    op.drop_index("ix_sale_on_customer_amount", table_name="sale")
    op.drop_index("ix_sale_customer_on_amount", table_name="sale")
    op.create_index("ix_sale_on_customer", "sale", ["sold_on", "customer_id"])
    op.create_index("ix_sale_customer_on", "sale", ["customer_id", "sold_on"])
