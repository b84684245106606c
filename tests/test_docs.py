"""The documentation keeps up with the code: every command and option of ``readouts`` is
described, and docs/schema.md and docs/cli.md are what cog generates today."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from cogapp import Cog

from readouts.cli import cli

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ["docs/schema.md", "docs/cli.md"]


def sections() -> list[str]:
    """README.md and the hand-written docs/ pages, cut at their headings."""
    pages = [ROOT / "README.md"] + sorted(
        path
        for path in (ROOT / "docs").glob("*.md")
        if path.relative_to(ROOT).as_posix() not in GENERATED
    )
    found = []
    for page in pages:
        found += re.split(r"\n(?=#{1,6} )", page.read_text(encoding="utf-8"))
    return found


def options(command: click.Command) -> list[str]:
    return [
        name
        for param in command.params
        if isinstance(param, click.Option)
        for name in param.opts
        if name.startswith("--") and name != "--help"
    ]


def undocumented() -> list[str]:
    """Commands no section shows in use, and options shown neither on a line using their
    command nor in an options table (``| `--option` |``) of a section about it."""
    texts = sections()
    missing = [
        f"readouts {option}" for option in options(cli) if not any(option in t for t in texts)
    ]
    for name, command in sorted(cli.commands.items()):
        use = re.compile(rf"readouts(?: --?[\w-]+(?: [^\s`|-]\S*)?)* {name}\b")
        about = [t for t in texts if use.search(t)]
        if not about:
            missing.append(f"readouts {name}")
        lines = [line for t in about for line in t.splitlines() if use.search(line)]
        rows = [line for t in about for line in t.splitlines() if line.startswith("| `--")]
        missing += [
            f"readouts {name} {option}"
            for option in options(command)
            if not any(re.search(rf"{re.escape(option)}\b", line) for line in lines)
            and not any(line.startswith(f"| `{option}") for line in rows)
        ]
    return missing


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_with_an_example(name):
    command = cli.commands[name]
    assert command.help and "Example:" in command.help, f"{name} needs help text with an example"


def test_readme_gives_the_two_setup_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme


def test_every_command_and_option_is_documented():
    assert not undocumented(), "document these in README.md or docs/:\n" + "\n".join(undocumented())


@pytest.mark.parametrize("page", GENERATED)
def test_generated_pages_are_current(page):
    """Stale after a migration or an option change: run `cog -r docs/schema.md docs/cli.md`."""
    status = Cog().main(["cog", "--check", str(ROOT / page)])
    assert status == 0, f"{page} is stale: run `cog -r {page}`"
