"""Classes: a teacher's lab runs a class; each student who joins gets a lab of their own in it.

- classes(id, name, teacher_id, join_key, joining_open, max_students, max_models, shared_model, created):
  teacher_id is the teacher's workspace (deleting it deletes the class); join_key the join link's key, kept
  as itself (unlike a lab's key) because the teacher's page shows it on a classroom screen at any time;
  shared_model the name of one of the teacher's models that every student sees, read-only;
- class_members(workspace_id, class_id, nickname, joined): a student's lab, in one class, under a nickname
  unique in it. Deleting the class leaves the students' labs as labs of their own.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "classes",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("teacher_id", sa.String(32), nullable=False),
        sa.Column("join_key", sa.String(43), nullable=False),
        sa.Column("joining_open", sa.Integer, nullable=False, server_default="1"),
        sa.Column("max_students", sa.Integer, nullable=False),
        sa.Column("max_models", sa.Integer, nullable=False),
        sa.Column("shared_model", sa.Text, nullable=True),
        sa.Column("created", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_classes"),
        sa.ForeignKeyConstraint(
            ["teacher_id"], ["workspaces.id"], name="fk_classes_teacher_id_workspaces", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("join_key", name="uq_classes_join_key"),
    )
    op.create_table(
        "class_members",
        sa.Column("workspace_id", sa.String(32), nullable=False),
        sa.Column("class_id", sa.String(32), nullable=False),
        sa.Column("nickname", sa.Text, nullable=False),
        sa.Column("joined", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", name="pk_class_members"),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name="fk_class_members_workspace_id_workspaces", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["class_id"], ["classes.id"], name="fk_class_members_class_id_classes", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("class_id", "nickname", name="uq_class_members_class_id_nickname"),
    )
