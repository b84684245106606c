"""Datasette over the archive: metadata, canned queries, charts and the readouts plugin.

``metadata.py`` and ``canned.py`` describe the database to Datasette; ``server.py`` starts it
read-only; ``plugin/`` adds the diff, citation and document pages.
"""
