"""``readouts demo``, the embedded default a new user runs first, end to end."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import click
import pytest

from readouts.demo.run import _readouts
from readouts.demo.sitegen import sources_toml

DEMO_FLAGS = [
    "new_readout",
    "edited_readout",
    "removed_readout",
    "new_citation",
    "quote_drift",
    "counterpart_found",
]


def test_demo_exits_0_and_shows_every_kind_of_flag(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "readouts", "--db", str(tmp_path / "demo.db"), "demo"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    flagged = result.stdout.split("Everything flagged:", 1)[1]
    for kind in DEMO_FLAGS:
        assert f"[{kind}]" in flagged, kind
    assert "Edited (v1 → v2): Telephone conversation with US President Donald Trump" in flagged
    assert "Removed (HTTP 404 twice)" in flagged
    assert "[-substantive-]{+constructive+}" in result.stdout  # the word diff of the edit
    checked = subprocess.run(
        [sys.executable, "-m", "readouts", "--db", str(tmp_path / "demo.db"), "verify"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr  # reported citations too


def test_a_demo_step_that_exits_1_stops_the_demo_and_shows_its_log(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on: every fetch fails
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_toml(f"http://127.0.0.1:{port}", retries=0), encoding="utf-8")
    shown: list[str] = []
    with pytest.raises(click.ClickException) as failure:
        _readouts(str(tmp_path / "demo.db"), sources, shown.append, "crawl", "site")
    assert "readouts crawl site exited with status 1" in failure.value.message
    assert "Connection refused" in "\n".join(shown)  # the tail of the child's log
