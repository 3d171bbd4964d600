"""A crawl process loads Scrapy's stock components, and nothing for the ones it switched off:
start-up is paid by every crawl, and again by every worker of a shared frontier."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from scrapy.settings import default_settings

ROOT = Path(__file__).resolve().parent.parent

_LOAD_COMPONENTS = """
import json, sys
from scrapy.utils.project import get_project_settings
settings = get_project_settings()
loaded = {}
for name in ("DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "EXTENSIONS", "ITEM_PIPELINES"):
    # What Scrapy does when it builds each middleware manager: every name is imported.
    loaded[name] = sorted(settings.get_component_priority_dict_with_base(name))
print(json.dumps({"loaded": loaded,
                  "modules": sorted(m for m in ("tldextract", "aiohttp") if m in sys.modules)}))
"""


def test_switched_off_components_are_not_even_imported_and_the_rest_are_stock() -> None:
    done = subprocess.run([sys.executable, "-c", _LOAD_COMPONENTS], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["modules"] == []  # cookies middleware (tldextract), remote control (aiohttp)
    loaded = result["loaded"]
    stock_middlewares = set(default_settings.DOWNLOADER_MIDDLEWARES_BASE) - {
        "scrapy.downloadermiddlewares.cookies.CookiesMiddleware",
        # replaced by its subclass, which skips pages that cannot refresh
        "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware",
    }
    assert stock_middlewares <= set(loaded["DOWNLOADER_MIDDLEWARES"])
    assert "crawler.middlewares.meta_refresh.CheapMetaRefreshMiddleware" in \
        loaded["DOWNLOADER_MIDDLEWARES"]
    assert set(default_settings.SPIDER_MIDDLEWARES_BASE) <= set(loaded["SPIDER_MIDDLEWARES"])
    stock_extensions = set(default_settings.EXTENSIONS_BASE) - {
        "scrapy.extensions.remote_control.RemoteControl",
        "scrapy.extensions.logstats.LogStats",  # replaced by crawler.extensions.progress
    }
    assert stock_extensions <= set(loaded["EXTENSIONS"])
