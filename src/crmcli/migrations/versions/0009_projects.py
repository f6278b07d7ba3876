"""Projects 合作项目 with their stages and documents; a follow-up may belong to one.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    ]


def _ordered() -> sa.types.TypeEngine:
    return sa.String().with_variant(sa.String(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("likelihood", sa.Integer(), nullable=True),
        sa.Column("product", sa.String(), nullable=True),
        sa.Column("added_on", sa.Date(), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("owner", _ordered(), nullable=True),
        sa.Column("lead", sa.String(), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("approved_by", sa.String(), nullable=True),
        sa.Column("lost_reason", sa.String(), nullable=True),
        sa.Column("created_by", sa.String(), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_project_customer", "project", ["customer_id", "stage"])
    op.create_index("ix_project_stage_expected", "project", ["stage", "expected_on"])
    op.create_index("ix_project_owner_stage", "project", ["owner", "stage"])
    op.create_table(
        "projectstage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("from_stage", sa.String(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by", sa.String(), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_projectstage_project_at", "projectstage", ["project_id", "at"])
    op.create_table(
        "projectdoc",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("added_by", sa.String(), nullable=False),
        *_stamps(),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ux_projectdoc_project_name", "projectdoc", ["project_id", "name"], unique=True)
    op.create_index("ix_projectdoc_sha256", "projectdoc", ["sha256"])
    with op.batch_alter_table("followup", schema=None) as batch_op:
        batch_op.add_column(sa.Column("project_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_followup_project_id_project", "project", ["project_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index("ix_followup_project_at", ["project_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("followup", schema=None) as batch_op:
        batch_op.drop_index("ix_followup_project_at")
        batch_op.drop_constraint("fk_followup_project_id_project", type_="foreignkey")
        batch_op.drop_column("project_id")
    op.drop_index("ix_projectdoc_sha256", table_name="projectdoc")
    op.drop_index("ux_projectdoc_project_name", table_name="projectdoc")
    op.drop_table("projectdoc")
    op.drop_index("ix_projectstage_project_at", table_name="projectstage")
    op.drop_table("projectstage")
    op.drop_index("ix_project_owner_stage", table_name="project")
    op.drop_index("ix_project_stage_expected", table_name="project")
    op.drop_index("ix_project_customer", table_name="project")
    op.drop_table("project")
