"""DPO reports: register, data map, requests, breaches, compliance score, annual report.

``context`` builds typed contexts from plain data (pure), ``loaders`` reads the
database, ``render`` turns contexts into HTML/PDF/CSV/XLSX, ``service`` chains them.
"""

from __future__ import annotations

from rgpd.reports.context import ReportKind

__all__ = ["ReportKind"]
