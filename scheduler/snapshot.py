"""The daemon's private copy of the sources file it validated.

Runs are ``readouts crawl`` child processes that read a sources file themselves. If they read
the user's file, an edit with a typo would make every run fail, even though the daemon — which
refuses a bad file on SIGHUP — is still running on the previous, good one. So the daemon
validates the user's file and hands its children a copy of exactly the text it accepted.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from scheduler.sources import SourcesError, SourcesFile, bundled_sources_path, parse_sources


class SourcesSnapshot:
    """Loads the user's sources file and keeps a validated copy at ``path`` for child runs."""

    def __init__(self, sources_path: str | None):
        self.user_path = Path(sources_path) if sources_path else bundled_sources_path()
        self._directory = Path(tempfile.mkdtemp(prefix="readouts-daemon-"))
        self.path = str(self._directory / "sources.toml")

    def load(self) -> SourcesFile:
        """Validate the user's file (``SourcesError`` if bad) and make it the runs' copy."""
        try:
            text = self.user_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SourcesError(self.user_path, "file not found") from None
        except (OSError, UnicodeDecodeError) as error:
            raise SourcesError(self.user_path, f"cannot read it: {error}") from None
        sources = parse_sources(text, self.user_path)
        staging = Path(self.path + ".new")
        staging.write_text(text, encoding="utf-8")
        os.replace(staging, self.path)  # a run starting now reads the old file or the new one
        return sources

    def remove(self) -> None:
        shutil.rmtree(self._directory, ignore_errors=True)
