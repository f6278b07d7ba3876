"""The overdue list reads one covering index instead of a row per overdue customer.

The list is ordered by next due day, name and id and shows a dozen short columns; with
all of them in one index entry, ``crm overdue`` and the overdue part of ``crm remind``
read the index alone, in order, without a sort. It replaces the one-column index on
``next_due_at``, which it starts with.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Frozen here: a later change of the model must come with a migration of its own.
COLUMNS = [
    "next_due_at",
    "sort_key",
    "id",
    "code",
    "name",
    "tier",
    "stage",
    "owner",
    "phone",
    "created_on",
    "last_contact_at",
    "contact_due_on",
    "visit_due_on",
    "callback_due_on",
    "plan_due_on",
]


def upgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_next_due_at")
        batch_op.create_index("ix_customer_overdue", COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_overdue")
        batch_op.create_index("ix_customer_next_due_at", ["next_due_at"], unique=False)
