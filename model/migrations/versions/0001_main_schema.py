"""The schema as main made it before migrations (model/registry.py and model/drawings.py SCHEMA).

Each table is created only if it is missing: an older data directory may hold some of them (DrawingStore
and Registry each created their own tables), and holds no alembic_version.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "models" not in existing:
        op.create_table(
            "models",
            sa.Column("name", sa.Text, primary_key=True),
            sa.Column("arch", sa.Text, nullable=False),
            sa.Column("train", sa.Text, nullable=False),
            sa.Column("metrics", sa.Text, nullable=False),
            sa.Column("history", sa.Text, nullable=False),
            sa.Column("params", sa.Integer, nullable=False),
            sa.Column("accuracy", sa.Float),
            sa.Column("train_seconds", sa.Float),
            sa.Column("file", sa.Text, nullable=False),
            sa.Column("sha256", sa.Text, nullable=False),
            sa.Column("created", sa.Text, nullable=False),
            sa.Column("bundled", sa.Integer, nullable=False, server_default="0"),
        )
    if "settings" not in existing:
        op.create_table(
            "settings",
            sa.Column("key", sa.Text, primary_key=True),
            sa.Column("value", sa.Text, nullable=False),
        )
    if "drawings" not in existing:
        op.create_table(
            "drawings",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("digest", sa.Text, nullable=False, unique=True),
            sa.Column("image", sa.LargeBinary, nullable=False),
            sa.Column("canvas_png", sa.LargeBinary),
            sa.Column("label", sa.Integer, sa.CheckConstraint("label BETWEEN 0 AND 9"), nullable=False),
            sa.Column("predicted", sa.Integer),
            sa.Column("model", sa.Text),
            sa.Column("created", sa.Text, nullable=False),
            sqlite_autoincrement=True,
        )


def downgrade() -> None:
    raise NotImplementedError("the store is not migrated down")
