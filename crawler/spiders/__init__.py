"""Spiders by the name a sources file uses for them (``spider = "generic"``).

Kept as import paths so that reading a sources file does not import every spider.
"""

import importlib
from typing import Any

SPIDERS: dict[str, str] = {
    "generic": "crawler.spiders.generic.GenericSpider",
    "govuk": "crawler.spiders.govuk.GovukSpider",
    "kremlin": "crawler.spiders.kremlin.KremlinSpider",
    "mid": "crawler.spiders.mid.MidSpider",
    "statedept": "crawler.spiders.statedept.StateDeptSpider",
    "whitehouse": "crawler.spiders.whitehouse.spider_for",
    "wordpress": "crawler.spiders.wordpress.WordPressSpider",
}

# The values a source's ``variant`` may take, per spider (spiders not listed have none).
VARIANTS: dict[str, tuple[str, ...]] = {
    "whitehouse": ("current", "2021-2025", "2017-2021", "2009-2017"),
}


def spider_class(source: Any) -> type:
    """The spider class that crawls ``source``. A registry entry is a class, or a function
    of the source choosing one (the White House's current site and archives differ)."""
    module_name, _, attribute = SPIDERS[source.spider].rpartition(".")
    found = getattr(importlib.import_module(module_name), attribute)
    return found if isinstance(found, type) else found(source)
