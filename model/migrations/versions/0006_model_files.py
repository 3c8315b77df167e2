"""Model files in the store: a worker or a replica on another machine rebuilds a model's file from its bytes.

- model_files(sha256, data, sidecar): a .keras file's bytes under its SHA-256 (models.sha256), and its
  snapshots sidecar's. A data directory keeps the files too, as a cache; the bundled default is in the repo.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_files",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("sidecar", sa.LargeBinary, nullable=True),
        sa.PrimaryKeyConstraint("sha256", name="pk_model_files"),
    )
