"""Spiders by the name a sources file uses for them (``spider = "generic"``).

Kept as import paths so that reading a sources file does not import every spider.
"""

SPIDERS: dict[str, str] = {
    "generic": "crawler.spiders.generic.GenericSpider",
    "govuk": "crawler.spiders.govuk.GovukSpider",
}


def spider_class(name: str) -> type:
    module_name, _, class_name = SPIDERS[name].rpartition(".")
    module = __import__(module_name, fromlist=[class_name])
    return getattr(module, class_name)
