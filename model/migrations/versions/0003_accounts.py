"""Accounts: on a server with sign-in, a workspace can belong to a signed-in person's account.

- workspaces: + account_hash, the SHA-256 of the account's issuer and subject (model/workspace.py
  account_hash); unique, so an account has at most one workspace; NULL for a workspace opened by its key.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(sa.Column("account_hash", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_workspaces_account_hash", ["account_hash"])
