"""Scrapy project that crawls the news sections of Chinese industrial portals."""
