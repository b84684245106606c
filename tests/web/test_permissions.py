"""The plugin's pages obey Datasette's permissions as its own pages do: an archive locked down
with ``allow`` blocks shows no document, diff, citation or counterpart to whoever may not see it."""

from __future__ import annotations

import pytest
from conftest import Client
from datasette.app import Datasette

ARCHIVIST = {"id": "archivist"}


def pages(ids) -> list[str]:
    return [
        f"/-/readouts/document/{ids['readout']}",
        f"/-/readouts/document/{ids['readout']}.atom",
        f"/-/readouts/version/{ids['edit_version']}",
        f"/-/readouts/change/{ids['change']}",
        f"/-/readouts/citation/{ids['citation']}",
        f"/-/readouts/counterparts/{ids['counterpart']}",
    ]


def locked(path, where: str) -> dict:
    """Metadata that lets only the archivist see the instance, the archive, or one table."""
    allow = {"allow": ARCHIVIST}
    if where == "instance":
        return allow
    if where == "database":
        return {"databases": {path.stem: allow}}
    return {"databases": {path.stem: {"tables": {where: allow}}}}


@pytest.fixture
def client_for(archive):
    clients = []

    def make(where: str) -> Client:
        path = archive[0]
        clients.append(Client(Datasette([str(path)], metadata=locked(path, where))))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


def status(client: Client, page: str, actor: dict | None) -> int:
    cookies = {"ds_actor": client.datasette.sign({"a": actor}, "actor")} if actor else {}
    response = client.loop.run_until_complete(client.datasette.client.get(page, cookies=cookies))
    return response.status_code


@pytest.mark.parametrize("where", ["instance", "database", "documents"])
def test_locked_down_archive_pages_answer_403_to_strangers_and_200_to_the_allowed(
    client_for, ids, where
):
    client = client_for(where)
    assert status(client, f"/{client.datasette.get_database().name}/documents", None) == 403
    for page in pages(ids):
        assert (page, status(client, page, None)) == (page, 403)
        assert (page, status(client, page, ARCHIVIST)) == (page, 200)


def test_a_page_is_hidden_when_one_table_it_shows_is(client_for, ids):
    client = client_for("citations")
    document, feed, version, change, citation, counterpart = pages(ids)
    assert status(client, document, None) == 403  # lists the citations of the readout
    assert status(client, citation, None) == 403
    assert status(client, change, None) == 200  # shows no citation
    assert status(client, counterpart, None) == 200
    assert status(client, feed, None) == 200  # a feed of edits, no citation
