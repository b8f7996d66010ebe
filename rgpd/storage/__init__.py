"""Storage edge: engine and sessions, table mappings, migrations, repositories."""

from rgpd.storage.db import Database, utcnow

__all__ = ["Database", "utcnow"]
