"""Storage: SQLAlchemy models, repositories and Alembic migrations.

The only package that imports SQLAlchemy or Alembic. Everything it hands out is a
terminal.model value (or AuditEntry), and every failure is a PersistenceError.
"""

from terminal.persistence.db import Database
from terminal.persistence.records import AuditEntry
from terminal.persistence.urls import default_url

__all__ = ["AuditEntry", "Database", "default_url"]
