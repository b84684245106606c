"""Pure algorithms: texts in, values out. No database, no Scrapy.

Text folding, n-grams, alignment and citation detection (``analysis.citations``), word diffs
(``diff``), event profiles of calls and meetings (``events``), topic alignment (``topics``) and
sentence embeddings (``embeddings``). Everything here can run in a worker process or on another
machine: the flag job and the news scan hand it texts and store what it returns.
"""
