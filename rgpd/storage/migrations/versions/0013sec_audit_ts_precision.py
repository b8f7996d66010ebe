"""audit log: timestamps kept to the microsecond on MariaDB/MySQL (issue 13)

Entries are hashed with their full-precision timestamp; MariaDB's DATETIME drops
the fraction unless declared DATETIME(6). PostgreSQL and SQLite already keep it.

Revision ID: 0013sec_audit_ts
Revises: 0001
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0013sec_audit_ts"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name in ("mysql", "mariadb"):
        op.alter_column(
            "audit_log",
            "ts",
            existing_type=sa.DateTime(),
            type_=mysql.DATETIME(fsp=6),
            existing_nullable=False,
        )


def downgrade() -> None:
    if op.get_bind().dialect.name in ("mysql", "mariadb"):
        op.alter_column(
            "audit_log",
            "ts",
            existing_type=mysql.DATETIME(fsp=6),
            type_=sa.DateTime(),
            existing_nullable=False,
        )
