"""The flag job and what it builds on: diffs of versions, and later citations and drift.

It reads what the crawler stored and writes ``flags``; ``readouts crawl`` and the daemon both
call ``run_flag_job`` after each run.
"""

from flagging.job import run_flag_job

__all__ = ["run_flag_job"]
