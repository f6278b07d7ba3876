"""Initial schema: customers, contacts, follow-ups, plans, history, meta.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("sort_key", sa.String(), nullable=False),
        sa.Column("search_key", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("contact_name", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("address", sa.String(), nullable=True),
        sa.Column("region", sa.String(), nullable=True),
        sa.Column("industry", sa.String(), nullable=True),
        sa.Column("scale", sa.String(), nullable=True),
        sa.Column("need", sa.String(), nullable=True),
        sa.Column("needs_note", sa.String(), nullable=True),
        sa.Column("main_business", sa.String(), nullable=True),
        sa.Column("budget", sa.String(), nullable=True),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("channel", sa.String(), nullable=True),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("tier", sa.String(), nullable=False),
        sa.Column("tier_locked", sa.Boolean(), nullable=False),
        sa.Column("grade", sa.String(), nullable=True),
        sa.Column("value", sa.String(), nullable=True),
        sa.Column("potential", sa.String(), nullable=True),
        sa.Column("likelihood", sa.Integer(), nullable=True),
        sa.Column("cooperation_plan", sa.String(), nullable=True),
        sa.Column("owner", sa.String(), nullable=True),
        sa.Column("intake_by", sa.String(), nullable=True),
        sa.Column("project_lead", sa.String(), nullable=True),
        sa.Column("birthday", sa.String(), nullable=True),
        sa.Column("birthday_lunar", sa.Boolean(), nullable=False),
        sa.Column("birthday_leap", sa.Boolean(), nullable=False),
        sa.Column("tags", sa.String(), nullable=True),
        sa.Column("notes", sa.String(), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("last_contact_at", sa.DateTime(), nullable=True),
        sa.Column("contact_due_on", sa.Date(), nullable=True),
        sa.Column("visit_due_on", sa.Date(), nullable=True),
        sa.Column("callback_due_on", sa.Date(), nullable=True),
        sa.Column("plan_due_on", sa.Date(), nullable=True),
        sa.Column("next_due_at", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_customer_code"), "customer", ["code"], unique=True)
    op.create_index(
        op.f("ix_customer_last_contact_at"), "customer", ["last_contact_at"], unique=False
    )
    op.create_index(op.f("ix_customer_name_key"), "customer", ["name_key"], unique=False)
    op.create_index(op.f("ix_customer_next_due_at"), "customer", ["next_due_at"], unique=False)
    op.create_index("ix_customer_owner_due", "customer", ["owner", "next_due_at"], unique=False)
    op.create_index(op.f("ix_customer_phone"), "customer", ["phone"], unique=False)
    op.create_index(op.f("ix_customer_sort_key"), "customer", ["sort_key"], unique=False)
    op.create_index(op.f("ix_customer_stage"), "customer", ["stage"], unique=False)
    op.create_index("ix_customer_tier_due", "customer", ["tier", "next_due_at"], unique=False)
    op.create_table(
        "meta",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("gender", sa.String(), nullable=True),
        sa.Column("birthday", sa.String(), nullable=True),
        sa.Column("birthday_lunar", sa.Boolean(), nullable=False),
        sa.Column("birthday_leap", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_contact_customer_id"), "contact", ["customer_id"], unique=False)
    op.create_table(
        "history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("old", sa.String(), nullable=True),
        sa.Column("new", sa.String(), nullable=True),
        sa.Column("command", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_history_customer_at", "history", ["customer_id", "at"], unique=False)
    op.create_table(
        "followup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("result", sa.String(), nullable=True),
        sa.Column("owner", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_followup_customer_channel_at",
        "followup",
        ["customer_id", "channel", "at"],
        unique=False,
    )
    op.create_index("ix_followup_owner_at", "followup", ["owner", "at"], unique=False)
    op.create_table(
        "plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_time", sa.String(), nullable=True),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("content", sa.String(), nullable=False),
        sa.Column("owner", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("followup_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["followup_id"], ["followup.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_plan_customer_status_due", "plan", ["customer_id", "status", "due_on"], unique=False
    )
    op.create_index("ix_plan_owner_status_due", "plan", ["owner", "status", "due_on"], unique=False)
    op.create_index("ix_plan_status_due", "plan", ["status", "due_on"], unique=False)


def downgrade() -> None:
    op.drop_table("plan")
    op.drop_table("followup")
    op.drop_table("history")
    op.drop_table("contact")
    op.drop_table("meta")
    op.drop_table("customer")
