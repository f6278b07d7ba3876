"""Greetings 问候, campaigns 营销活动 and their notices; birthdays indexed by month-day.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("stages", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_name"), ["name"], unique=True)

    op.create_table(
        "greeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("occasion", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(), nullable=True),
        sa.Column("sent_by", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("greeting", schema=None) as batch_op:
        batch_op.create_index("ix_greeting_on_occasion", ["on", "occasion"], unique=False)
        batch_op.create_index(
            "ux_greeting", ["customer_id", "contact_id", "occasion", "on"], unique=True
        )

    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("birth_md", sa.String(), nullable=True))
        batch_op.create_index("ix_contact_birth", ["birthday_lunar", "birth_md"], unique=False)

    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("birth_md", sa.String(), nullable=True))
        batch_op.create_index("ix_customer_birth", ["birthday_lunar", "birth_md"], unique=False)

    # Existing birthdays ("YYYY-MM-DD" or "MM-DD") get their month-day.
    for table in ("customer", "contact"):
        t = sa.table(table, sa.column("birthday", sa.String), sa.column("birth_md", sa.String))
        op.execute(
            t.update()
            .where(t.c.birthday.is_not(None))
            .values(birth_md=sa.func.substr(t.c.birthday, sa.func.length(t.c.birthday) - 4, 5))
        )


def downgrade() -> None:
    with op.batch_alter_table("customer") as batch_op:
        batch_op.drop_index("ix_customer_birth")
        batch_op.drop_column("birth_md")
    with op.batch_alter_table("contact") as batch_op:
        batch_op.drop_index("ix_contact_birth")
        batch_op.drop_column("birth_md")
    op.drop_table("greeting")
    op.drop_table("campaignnotice")
    op.drop_table("campaign")
