"""Run the real CLI entry point (with its exit-code mapping) under click's CliRunner isolation."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from rgpd.cli import main


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def all(self) -> str:
        return self.out + self.err


def wide_columns() -> str:
    """A terminal wide enough that table cells are not folded (the caller's COLUMNS, e.g.
    80 in a CI shell, would fold long paths and break substring checks)."""
    import os

    return str(max(250, int(os.environ.get("COLUMNS", "0") or 0)))


def run_cli(
    args: list[str], input: str | None = None, env: dict[str, str | None] | None = None
) -> Run:
    runner = CliRunner()
    with runner.isolation(input=input, env={"COLUMNS": wide_columns(), **(env or {})}) as streams:
        code = main(args)
        out = streams[0].getvalue().decode("utf-8", "replace")
        err = streams[1].getvalue().decode("utf-8", "replace") if streams[1] is not None else ""
    return Run(code, out, err)


ROOT = Path(__file__).resolve().parents[1]


def fresh_python_json(code: str) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter (what it imports is its own) and read the JSON
    object its last line prints."""
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]
