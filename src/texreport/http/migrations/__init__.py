"""Alembic migrations of the service's store; :func:`texreport.http.schema.upgrade` runs them."""
