"""Secrets of the sources file (proxy credentials, header values) reach the sites that need them
and nothing else: not the database, not its file, not what Datasette serves."""

from __future__ import annotations

import base64
import json
import sqlite3

import pytest
from conftest import Readouts
from forward_proxy import ForwardProxy
from news_site import NewsSite

import storage
from readouts.web.server import get_once, make_datasette
from scheduler.sources import SourcesError, parse_sources
from storage.database import write_transaction
from storage.flags import insert_flag, make_flag
from storage.schema import MIGRATIONS, _redact_source_secrets, _rename_secret_channel_labels

PROXY_USER, PROXY_PASSWORD = "proxyuser-7f3a", "proxypass-91c2"
TOKEN, COOKIE = "Bearer token-5d8e0b", "session=cookie-a4f61c"
SECRETS = [PROXY_USER, PROXY_PASSWORD, "token-5d8e0b", "cookie-a4f61c"]


def secrets_in_file(path) -> list[str]:
    """The secrets found in any column of any table, then in the raw bytes of the file and WAL."""
    found = []
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f"SELECT * FROM [{table}]"):
                cells = " ".join(str(cell) for cell in row)
                found += [f"{table}: {s}" for s in SECRETS if s in cells]
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for name in (path, f"{path}-wal"):
        try:
            raw = open(name, "rb").read()
        except FileNotFoundError:
            continue
        found += [f"{name}: {s}" for s in SECRETS if s.encode() in raw]
    return found


def secrets_served(path) -> list[str]:
    datasette = make_datasette(path)
    name = path.stem
    pages = [
        f"/{name}/sources.json?_shape=array",
        f"/{name}/sources",
        f"/{name}.json?sql=select+*+from+sources&_shape=array",
    ]
    found = []
    for page in pages:
        reply = get_once(datasette, page)
        assert reply.status == 200, page
        found += [f"{page}: {s}" for s in SECRETS if s in reply.text]
    return found


def test_proxy_credentials_and_header_values_are_sent_but_never_stored_or_served(
    tmp_path, db_path, server
):
    site = NewsSite(server, 2)
    with ForwardProxy() as proxy:
        proxy_url = proxy.url.replace("http://", f"http://{PROXY_USER}:{PROXY_PASSWORD}@")
        sources = site.sources(tmp_path / "s.toml", proxy=proxy_url)
        with sources.open("a") as file:
            file.write(f'headers = {{ Authorization = "{TOKEN}", Cookie = "{COOKIE}" }}\n')
        result = Readouts(db_path, sources)("crawl", "news")
    assert result.returncode == 0, result.stderr
    credentials = base64.b64encode(f"{PROXY_USER}:{PROXY_PASSWORD}".encode()).decode()
    assert set(proxy.authorizations) == {f"Basic {credentials}"}
    assert {r.headers["Authorization"] for r in server.requests} == {TOKEN}
    assert secrets_in_file(db_path) == []
    assert secrets_served(db_path) == []
    with sqlite3.connect(db_path) as conn:
        config = json.loads(conn.execute("SELECT config FROM sources").fetchone()[0])
    port = proxy.url.rsplit(":", 1)[1]
    assert config["proxy"] == f"http://****:****@127.0.0.1:{port}"
    assert config["headers"] == {"Authorization": "****", "Cookie": "****"}


def test_upgrade_cleans_secrets_an_older_release_stored(tmp_path):
    path = tmp_path / "old.db"
    storage.open_database(path).close()
    leaky = {
        "proxy": f"http://{PROXY_USER}:{PROXY_PASSWORD}@proxy.example:3128",
        # A long cookie puts the row on overflow pages, which the cleaned row no longer needs.
        "headers": {"Authorization": TOKEN, "Cookie": "tracking=x; " * 500 + COOKIE},
    }
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO sources (name, kind, spider, config) VALUES ('old', 'readout', 'generic', ?)",
            [json.dumps(leaky)],
        )
        conn.execute(f"PRAGMA user_version = {MIGRATIONS.index(_redact_source_secrets)}")
    assert secrets_in_file(path) != []  # the test can fail
    storage.open_database(path).close()  # any command upgrades the archive
    assert secrets_in_file(path) == []
    with sqlite3.connect(path) as conn:
        config = json.loads(conn.execute("SELECT config FROM sources").fetchone()[0])
    assert config == {
        "proxy": "http://****:****@proxy.example:3128",
        "headers": {"Authorization": "****", "Cookie": "****"},
    }


@pytest.mark.parametrize("field", ["start_urls", "base_url"])
def test_credentials_in_a_page_url_are_a_sources_error_that_masks_them(tmp_path, db_path, field):
    url = f"https://{PROXY_USER}:{PROXY_PASSWORD}@intranet.example/news/"
    value = f'["{url}"]' if field == "start_urls" else f'"{url}"'
    sources = tmp_path / "s.toml"
    sources.write_text(
        f"""
[sources.private]
kind = "commentary"
spider = "{"generic" if field == "start_urls" else "kremlin"}"
{field} = {value}
item_pattern = "/news/\\\\d+$"
""",
        encoding="utf-8",
    )
    result = Readouts(db_path, sources)("crawl", "private")
    assert result.returncode == 2
    assert f"{sources}: source 'private', field '{field}': " in result.stderr
    assert "https://****:****@intranet.example/news/" in result.stderr
    assert "headers" in result.stderr  # where credentials go instead
    assert [s for s in SECRETS if s in result.stderr] == []
    assert not db_path.exists() or secrets_in_file(db_path) == []


def test_a_sources_error_masks_the_credentials_of_the_url_it_quotes(tmp_path):
    text = r"""
[sources.px]
kind = "readout"
spider = "generic"
start_urls = ["http://127.0.0.1:1/news/"]
item_pattern = '/news/\d+$'
proxy = "socks5://puser:NEWSECRETPASS@127.0.0.1:1080"
"""
    with pytest.raises(SourcesError) as error:
        parse_sources(text, tmp_path / "s.toml")
    assert "NEWSECRETPASS" not in str(error.value)
    assert "'socks5://****:****@127.0.0.1:1080'" in str(error.value)


HOOK = "json://127.0.0.1:18842/ok/hooks/catch/123456/SECRETHOOKKEY/"
TOPIC = "ntfy://ntfyuser:ntfypass@127.0.0.1:18842/SECRETTOPIC"


def channels(tmp_path, *urls: str) -> list:
    tables = "".join(f'[[notify]]\nurl = "{url}"\n' for url in urls)
    return parse_sources(tables, tmp_path / "s.toml").notify


def test_a_channel_without_a_name_is_labelled_without_the_secret_in_its_url(tmp_path):
    hook, topic, cloud = channels(tmp_path, HOOK, TOPIC, "ntfy://SECRETCLOUDTOPIC")
    labels = [hook.label, topic.label, cloud.label]
    assert [s for s in ("SECRET", "ntfyuser", "ntfypass") if s in " ".join(labels)] == []
    assert hook.label.startswith("json://127.0.0.1:18842 (")
    assert topic.label.startswith("ntfy://127.0.0.1:18842 (")
    assert len(set(labels)) == 3


def test_upgrade_renames_a_channel_labelled_by_its_url_with_its_deliveries(tmp_path):
    path = tmp_path / "old.db"
    db = storage.open_database(path)
    with write_transaction(db):
        insert_flag(db, make_flag("new_readout", "a", None, None, "New", key="k"))
    flag_id = db.execute("SELECT id FROM flags").fetchone()[0]
    db.close()
    old_label = HOOK  # what older releases stored: the URL as apprise masks it, query cut off
    with sqlite3.connect(path) as conn:
        for channel in (old_label, "ops"):
            conn.execute(
                "INSERT INTO notifications (flag_id, channel, status) VALUES (?, ?, 'delivered')",
                [flag_id, channel],
            )
            conn.execute(
                "INSERT INTO job_state (name, value) VALUES (?, ?)",
                [f"notify.{channel}.last_flag_id", str(flag_id)],
            )
        conn.execute(f"PRAGMA user_version = {MIGRATIONS.index(_rename_secret_channel_labels)}")
    storage.open_database(path).close()  # any command upgrades the archive
    (hook,) = channels(tmp_path, HOOK)
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT channel, status FROM notifications ORDER BY channel").fetchall()
        states = conn.execute("SELECT name FROM job_state WHERE name LIKE 'notify.%'").fetchall()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert sorted(rows) == sorted([(hook.label, "delivered"), ("ops", "delivered")])
    assert sorted(states) == sorted(
        [(f"notify.{hook.label}.last_flag_id",), ("notify.ops.last_flag_id",)]
    )
    assert b"SECRETHOOKKEY" not in path.read_bytes()
