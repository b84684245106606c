"""Helpers shared by the citation benchmarks: where the eval data is, a fresh index database."""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def eval_dir() -> Path | None:
    """``../shared/eval`` next to the repository, else /work/shared/eval; None when absent."""
    for candidate in (REPO.parent / "shared" / "eval", Path("/work/shared/eval")):
        if candidate.is_dir():
            return candidate
    return None


def require_eval(name: str) -> Path:
    base = eval_dir()
    if base is None or not (base / name).exists():
        sys.exit(f"skipped: the eval data set {name!r} is not present (../shared/eval/{name})")
    return base / name


def fresh_database(directory: str | None = None):
    """A new archive database (the project's schema, WAL) in a temporary directory, removed
    when the benchmark exits (the full citation run leaves some 200 MB)."""
    import storage

    if directory is None:
        directory = tempfile.mkdtemp(prefix="citations-bench-")
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
    folder = Path(directory)
    return storage.open_database(folder / "bench.db"), folder / "bench.db"
