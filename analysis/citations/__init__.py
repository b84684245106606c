"""Who quotes the readouts: the pure half of citation detection (texts in, values out).

- ``text``: words of a text with their character offsets (the offset map), folded so that
  typography, case, bracketed insertions and "(emphasis added)" notes never hide a quote;
- ``ngrams``: hashed word n-grams of those words;
- ``align``: exact span boundaries of the passages an article shares with one readout;
- ``detect``: one article against its candidate readouts, each quote attributed to one readout;
- ``links``: the URLs an article links to, and the key that matches them to readout URLs.

The n-gram index and the ``citations`` rows are stored by ``storage/citation_index.py`` and
``storage/citations.py``; the flag job's steps that join the two live in ``flagging/citations.py``.
"""
