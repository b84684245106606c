"""``kill -9`` a crawl at random moments, 20 times: the archive stays sound and loses nothing.

The site changes in epochs (a third of its pages edited once per epoch). Within an epoch the
crawl is killed five times at a random moment after it started fetching, and the archive is
checked after every kill; a complete run ends each epoch. At the end every page must have
exactly one version per edition it served, in order, each flagged exactly once.
"""

from __future__ import annotations

import random
import sys

from conftest import query
from killharness import archive_problems, run_and_kill

from readouts.demo.sitegen import item_path, make_readout, render_readout, site_pages, sources_toml

PAGES = 60
EPOCHS = 4
KILLS_PER_EPOCH = 5


def edition(number: int, epoch: int) -> int:
    """How many times page ``number`` has been edited by ``epoch``: every third page, each epoch."""
    return epoch if number % 3 == 0 else 0


def serve_epoch(server, epoch: int) -> None:
    for number in range(1, PAGES + 1):
        readout = make_readout(number).edited(edition(number, epoch))
        server.set(item_path(number), render_readout(readout))


def test_crawl_killed_20_times_keeps_the_archive_sound_and_loses_no_version(
    tmp_path, db_path, server
):
    for path, html in site_pages(PAGES).items():
        server.set(path, html)
    sources = tmp_path / "sources.toml"
    # A small delay makes each crawl last about 3 s, so that kills land mid-crawl.
    sources.write_text(sources_toml(server.base_url, delay=0.05), encoding="utf-8")
    crawl = [sys.executable, "-m", "readouts", "--db", str(db_path), "--sources", str(sources)]
    crawl += ["crawl", "site", "--recheck"]  # every run fetches every page
    rng = random.Random(20)
    kills = []
    for epoch in range(EPOCHS):
        serve_epoch(server, epoch)
        for _ in range(KILLS_PER_EPOCH):
            requests_before = len(server.requests)
            kill = run_and_kill(
                crawl,
                rng=rng,
                max_delay=2.5,
                ready=lambda n=requests_before: len(server.requests) > n + 2,
            )
            kills.append(kill)
            problems = archive_problems(db_path)
            assert problems == [], (epoch, kill, problems)
        complete = run_and_kill(crawl, rng=rng, max_delay=600)
        assert not complete.killed and complete.returncode == 0, complete
        assert archive_problems(db_path) == []

    assert sum(kill.killed for kill in kills) >= 18, kills  # the kills landed mid-crawl
    versions = query(
        db_path,
        "SELECT d.url, v.version, v.text FROM versions v JOIN documents d ON d.id = v.document_id"
        " ORDER BY d.url, v.version",
    )
    for number in range(1, PAGES + 1):
        url = server.url(item_path(number))
        texts = [row["text"] for row in versions if row["url"] == url]
        expected = [make_readout(number).edited(n) for n in range(edition(number, EPOCHS - 1) + 1)]
        assert len(texts) == len(expected), (url, len(texts))
        for edits, (text, readout) in enumerate(zip(texts, expected)):
            assert readout.paragraphs[-1] in text, url
            assert f"Уточнение номер {edits + 1} к" not in text, url
    edited_pages = sum(1 for n in range(1, PAGES + 1) if edition(n, 1))
    flags = query(db_path, "SELECT kind, count(*) AS n FROM flags GROUP BY kind ORDER BY kind")
    assert flags == [
        {"kind": "edited_readout", "n": edited_pages * (EPOCHS - 1)},
        {"kind": "new_readout", "n": PAGES},
    ]
    unfinished = query(db_path, "SELECT id FROM runs WHERE finished_at IS NULL")
    assert unfinished == []
