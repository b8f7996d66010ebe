"""Fixtures of the report tests: the fixed data set, seeded once per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rgpd.workspace import Workspace
from tests.conftest import make_workspace
from tests.reports import dataset


@pytest.fixture(scope="module")
def fixed_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """Two organisations: the sample commune (scans, requests, breaches) and its CCAS."""
    base = tmp_path_factory.mktemp("reports")
    ws = make_workspace(f"sqlite:///{base / 'rgpd.db'}", base)
    dataset.seed_fixed(ws, "mairie")
    dataset.seed_actions(ws, "mairie")
    dataset.add_sample_org(ws, "ccas", "ccas")
    dataset.fix_version_dates(ws, dataset.NOW.replace(tzinfo=None, month=2))
    yield ws
    ws.db.dispose()


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "out"
