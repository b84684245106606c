"""The Scrapy project: spiders for official sources and commentary sites, and the pipeline
that hands what they find to ``storage``."""
