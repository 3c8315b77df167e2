"""Alembic's entry point for the store's migrations; model/db.py migrate() runs it in code, on its connection.

Not run by the `alembic` command line: there is no alembic.ini, the data directory decides the database.
"""

from alembic import context

from model.db import metadata

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=metadata,
    render_as_batch=True,  # SQLite alters a table by copying it
)
with context.begin_transaction():
    context.run_migrations()
