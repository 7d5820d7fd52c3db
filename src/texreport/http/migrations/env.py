"""Alembic environment: runs on the connection :func:`texreport.http.schema.upgrade` hands it."""

from __future__ import annotations

from alembic import context

from texreport.http.schema import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table=VERSION_TABLE, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
