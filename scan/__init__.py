"""The news scan: who, anywhere in a news crawl kept as WARC files, cites a readout.

``records`` reads WARC files by byte range, ``worker`` is what a Dask worker runs on one range
(no database: a snapshot of the citation index), ``job`` plans the ranges, runs them on Dask
distributed and stores the citing articles through one writer.
"""
