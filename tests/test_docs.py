"""The README documents every command; every command has help text."""

from pathlib import Path

import pytest

from readouts.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_and_is_in_the_readme(name):
    command = cli.commands[name]
    assert command.help and "Example:" in command.help, f"{name} needs help text with an example"
    assert f"readouts {name}" in README, f"README does not mention `readouts {name}`"


def test_readme_gives_the_two_setup_commands():
    assert "make demo" in README and "make test" in README
