"""Training runs: the queue's side in the store, so a run outlives the server that queued it.

- runs(id, workspace_id, name, arch, train, owner, status, stop, queued, started, finished, heartbeat, worker,
  progress, fit_elapsed, events, result, error, stderr_tail, learning_start, learning, dismissed): one per
  press of Train, in the lab it trains for; the worker that takes it writes its progress and end here;
- run_events(run_id, seq, body): the child's batch and epoch events, in order, for the live curves.
- classes.max_runs: how many of a class's runs may be queued or training at once (the teacher's cap).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("workspace_id", sa.String(32), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("arch", sa.Text, nullable=False),
        sa.Column("train", sa.Text, nullable=False),
        sa.Column("owner", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("stop", sa.String(8), nullable=True),
        sa.Column("queued", sa.Float, nullable=False),
        sa.Column("started", sa.Float, nullable=True),
        sa.Column("finished", sa.Float, nullable=True),
        sa.Column("heartbeat", sa.Float, nullable=True),
        sa.Column("worker", sa.Text, nullable=True),
        sa.Column("progress", sa.Float, nullable=False, server_default="0"),
        sa.Column("fit_elapsed", sa.Float, nullable=False, server_default="0"),
        sa.Column("events", sa.Integer, nullable=False, server_default="0"),
        sa.Column("result", sa.Text, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("stderr_tail", sa.Text, nullable=True),
        sa.Column("learning_start", sa.Text, nullable=True),
        sa.Column("learning", sa.Text, nullable=True),
        sa.Column("dismissed", sa.Integer, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name="fk_runs_workspace_id_workspaces", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_runs_status_queued", "runs", ["status", "queued"])
    op.create_index("ix_runs_workspace_id", "runs", ["workspace_id"])
    op.create_table(
        "run_events",
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "seq", name="pk_run_events"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_run_events_run_id_runs", ondelete="CASCADE"),
    )
    op.add_column("classes", sa.Column("max_runs", sa.Integer, nullable=False, server_default="10"))
