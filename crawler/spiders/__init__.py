"""Spiders by the name a sources file uses for them (``spider = "generic"``).

Kept as import paths so that reading a sources file does not import every spider.
"""

SPIDERS: dict[str, str] = {
    "generic": "crawler.spiders.generic.GenericSpider",
    "govuk": "crawler.spiders.govuk.GovukSpider",
    "kremlin": "crawler.spiders.kremlin.KremlinSpider",
    "mid": "crawler.spiders.mid.MidSpider",
    "statedept": "crawler.spiders.statedept.StateDeptSpider",
    "whitehouse": "crawler.spiders.whitehouse.WhiteHouseSpider",
    "wordpress": "crawler.spiders.wordpress.WordPressSpider",
}

# The values a source's ``variant`` may take, per spider (spiders not listed have none).
VARIANTS: dict[str, tuple[str, ...]] = {
    "whitehouse": ("current", "2021-2025", "2017-2021", "2009-2017"),
}


def spider_class(name: str) -> type:
    module_name, _, class_name = SPIDERS[name].rpartition(".")
    module = __import__(module_name, fromlist=[class_name])
    return getattr(module, class_name)
