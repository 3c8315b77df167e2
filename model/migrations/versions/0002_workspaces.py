"""Workspaces: every model and drawing belongs to one, so each visitor of a shared server has a lab.

- workspaces(id, key_hash, created, last_seen, active_model), with "personal" (the local lab, which gets every
  existing row and settings.active) and "shared" (the bundled default, listed in every workspace);
- models: + workspace_id, primary key (workspace_id, name) instead of name;
- drawings: + workspace_id, the digest unique per workspace instead of across the database;
- settings is dropped (its only key, 'active', is now workspaces.active_model).

Revision ID: 0002
Revises: 0001
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# names for the constraints 0001 left unnamed (SQLite reflects them without a name), so they can be dropped
OLD_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s", "pk": "pk_%(table_name)s"}
WORKSPACE_FK = ("workspace_id", sa.String(32), sa.ForeignKey("workspaces.id", ondelete="CASCADE"))


def upgrade() -> None:
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    bind = op.get_bind()
    settings = sa.table("settings", sa.column("key"), sa.column("value"))
    active = bind.execute(sa.select(settings.c.value).where(settings.c.key == "active")).scalar()

    workspaces = op.create_table(
        "workspaces",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("key_hash", sa.String(64), nullable=True),
        sa.Column("created", sa.Text, nullable=False),
        sa.Column("last_seen", sa.Text, nullable=False),
        sa.Column("active_model", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_workspaces"),
        sa.UniqueConstraint("key_hash", name="uq_workspaces_key_hash"),
    )
    op.bulk_insert(
        workspaces,
        [
            {"id": "personal", "key_hash": None, "created": now, "last_seen": now, "active_model": active},
            {"id": "shared", "key_hash": None, "created": now, "last_seen": now, "active_model": None},
        ],
    )

    # each table: add the column, fill it, then make it required and part of the keys
    for table in ("models", "drawings"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(WORKSPACE_FK[0], WORKSPACE_FK[1], nullable=True))
    models = sa.table("models", sa.column("workspace_id"), sa.column("bundled"))
    op.execute(models.update().values(workspace_id=sa.case((models.c.bundled == 1, "shared"), else_="personal")))
    drawings = sa.table("drawings", sa.column("workspace_id"))
    op.execute(drawings.update().values(workspace_id="personal"))

    # SQLite changes a key only by copying the table; PostgreSQL alters it in place (a copy there would take
    # drawings.id's sequence and 0001's check constraint along under temporary names)
    sqlite = bind.dialect.name == "sqlite"
    recreate = "always" if sqlite else "auto"
    with op.batch_alter_table("models", recreate=recreate, naming_convention=OLD_NAMES) as batch:
        batch.alter_column("workspace_id", existing_type=sa.String(32), nullable=False)
        batch.alter_column("name", existing_type=sa.Text, nullable=False)
        batch.drop_constraint("pk_models", type_="primary")
        batch.create_primary_key("pk_models", ["workspace_id", "name"])
        batch.create_foreign_key(
            "fk_models_workspace_id_workspaces", "workspaces", ["workspace_id"], ["id"], ondelete="CASCADE"
        )
    with op.batch_alter_table(
        "drawings",
        recreate=recreate,
        naming_convention=OLD_NAMES,
        table_args=(sa.CheckConstraint("label BETWEEN 0 AND 9", name="ck_drawings_label"),),  # 0001's was unnamed
        table_kwargs={"sqlite_autoincrement": True},  # ids are never reused, as before
    ) as batch:
        batch.alter_column("workspace_id", existing_type=sa.String(32), nullable=False)
        batch.drop_constraint("uq_drawings_digest", type_="unique")
        batch.create_unique_constraint("uq_drawings_workspace_id_digest", ["workspace_id", "digest"])
        batch.create_foreign_key(
            "fk_drawings_workspace_id_workspaces", "workspaces", ["workspace_id"], ["id"], ondelete="CASCADE"
        )
        if not sqlite:  # the copy named 0001's check on SQLite (table_args); PostgreSQL named it drawings_label_check
            batch.drop_constraint("drawings_label_check", type_="check")
            batch.create_check_constraint("ck_drawings_label", "label BETWEEN 0 AND 9")
    op.drop_table("settings")


def downgrade() -> None:
    raise NotImplementedError("the store is not migrated down")
