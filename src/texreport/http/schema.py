"""The store's schema, versioned with Alembic (``src/texreport/http/migrations``).

:func:`upgrade` brings a database to the newest revision: an empty one gets
every table; one made by texreport 0.1.0 (tables from ``create_all``, no
version table) is recognised as revision ``0001`` and upgraded from there.
Instances that start at once on one database upgrade one at a time (a
PostgreSQL advisory lock; on SQLite the write lock of ``BEGIN IMMEDIATE``).
The version is kept in ``texreport_alembic_version``, so a platform's own
Alembic history in the same database is left alone. ``texreport db upgrade``
runs the same function from the command line.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

__all__ = ["FIRST_REVISION", "VERSION_TABLE", "current_revision", "head_revision", "upgrade"]

VERSION_TABLE = "texreport_alembic_version"
FIRST_REVISION = "0001"                       # the schema texreport 0.1.0 created without Alembic
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_ADVISORY_KEY = 0x7E78_2E70                   # "texreport schema" advisory lock (any fixed bigint)


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Upgrade the database to the newest revision; returns it."""
    with engine.connect() as plain:
        connection = plain.execution_options(texreport_write=True)   # SQLite: BEGIN IMMEDIATE
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})
            config = _config(connection)
            context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
            if context.get_current_revision() is None and inspect(connection).has_table("texreport_sessions"):
                command.stamp(config, FIRST_REVISION)
            command.upgrade(config, "head")
    return head_revision()
