"""Run the real CLI entry point (with its exit-code mapping) under click's CliRunner isolation."""

from __future__ import annotations

from dataclasses import dataclass

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


def run_cli(
    args: list[str], input: str | None = None, env: dict[str, str | None] | None = None
) -> Run:
    runner = CliRunner()
    with runner.isolation(input=input, env=env) as streams:
        code = main(args)
        out = streams[0].getvalue().decode("utf-8", "replace")
        err = streams[1].getvalue().decode("utf-8", "replace") if streams[1] is not None else ""
    return Run(code, out, err)
