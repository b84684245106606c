"""Who quotes the readouts: citation detection at scale, and quote drift.

The pieces, each in its own module:
- ``text``: words of a text with their character offsets (the offset map), folded so that
  typography, case, bracketed insertions and "(emphasis added)" notes never hide a quote;
- ``ngrams``: hashed word n-grams of those words;
- ``index``: the inverted index of rare n-grams over readouts, in SQLite, and candidate search;
- ``align``: exact span boundaries of the passages an article shares with one readout;
- ``detect``: one article against its candidate readouts, each quote attributed to one readout;
- ``links``: the readout URLs an article links to;
- ``store``: the ``citations`` rows and their drift status.

The flag job's steps that use them live in ``flagging/citations.py``.
"""
