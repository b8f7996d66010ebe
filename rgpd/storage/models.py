"""Imports every table module so that ``Base.metadata`` knows the whole schema.

Each wing that adds tables adds its module here (and its own Alembic revision).
"""

from rgpd.storage import (
    action_tables,  # noqa: F401
    dpia_tables,  # noqa: F401
    fulfil_tables,  # noqa: F401
    request_tables,  # noqa: F401
    scan_tables,  # noqa: F401
    software_tables,  # noqa: F401
    tables,  # noqa: F401
)
