"""Portal profiles are validated on load; errors name the file, the portal, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.config.loading import ConfigError
from crawler.config.profiles import DEFAULT_PORTALS_FILE, load_portals, parse_interval

GOOD = """
defaults:
  schedule: {interval: 2h}
portals:
  - key: gongkong
    name: 中国工控网
    encoding: gb18030
    sections:
      - {name: 行业动态, url: "http://www.gongkong.com/news/"}
    selectors: {body: "div#content", title: "//h1"}
    schedule: {cron: "*/30 * * * *", timezone: Asia/Shanghai, timeout: 20m}
  - key: ca800
    name: 中国自动化网
    enabled: false
    sections:
      - {name: 行业资讯, url: "https://www.ca800.com/news/"}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "portals.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_profiles_load_and_cover_three_real_portals():
    registry = load_portals(DEFAULT_PORTALS_FILE)
    keys = [p.key for p in registry.portals]
    assert keys[0] == "gongkong" and {"ca800", "chuandong"} <= set(keys)
    assert all(p.sections and p.name for p in registry.portals)


def test_a_good_file(tmp_path):
    registry = load_portals(write(tmp_path, GOOD))
    gongkong = registry.get("gongkong")
    assert gongkong.selectors.body == "div#content"
    assert gongkong.schedule is not None and gongkong.schedule.cron == "*/30 * * * *"
    assert gongkong.schedule.timeout_seconds == 1200
    assert gongkong.domains == ("gongkong.com",)
    assert [p.key for p in registry.enabled()] == ["gongkong"]
    assert registry.schedule_for(registry.get("ca800")).interval_seconds == 7200


def test_env_var_points_at_another_file(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTALS_FILE", str(write(tmp_path, GOOD)))
    assert [p.key for p in load_portals().portals] == ["gongkong", "ca800"]


@pytest.mark.parametrize(
    ("replace", "by", "key", "fix"),
    [
        ("key: ca800", "key: CA 800", "portals[1].key", "lowercase"),
        ("name: 中国自动化网", "name: ''", "portals[ca800].name", "name:"),
        ('url: "https://www.ca800.com/news/"', "url: www.ca800.com/news", "sections[0].url",
         "absolute URL"),
        ("encoding: gb18030", "encoding: klingon", "portals[gongkong].encoding", "gb18030"),
        ('body: "div#content"', 'body: "div[[["', "selectors.body", "CSS"),
        ("body:", "bodyy:", "selectors.bodyy", "use one of"),
        ('cron: "*/30 * * * *"', 'cron: "*/30 * *"', "schedule.cron", "minute hour"),
        ('cron: "*/30 * * * *"', 'cron: "99 * * * *"', "schedule.cron", "range"),
        ("interval: 2h", "interval: often", "defaults.schedule.interval", "90s, 30m"),
        ("timezone: Asia/Shanghai", "timezone: Mars/Base", "schedule.timezone", "IANA"),
        ("enabled: false", "enabled: maybe", "portals[ca800].enabled", "true or false"),
        ("key: ca800", "key: gongkong", "portals[gongkong].key", "own key"),
        ("    encoding: gb18030", "    encodign: gb18030", "portals[gongkong].encodign",
         "allowed keys"),
    ],
)
def test_each_mistake_names_file_key_and_fix(tmp_path, replace, by, key, fix):
    assert replace in GOOD
    path = write(tmp_path, GOOD.replace(replace, by, 1))
    with pytest.raises(ConfigError) as info:
        load_portals(path)
    message = str(info.value)
    assert str(path) in message and key in message and fix in message


def test_missing_file_and_broken_yaml(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_portals(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_portals(write(tmp_path, "portals: [\n"))


def test_unknown_portal_names_the_known_ones(tmp_path):
    with pytest.raises(ConfigError, match="gongkong, ca800"):
        load_portals(write(tmp_path, GOOD)).get("chuandong")


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("2h", 7200),
                                                ("1d", 86400), ("0m", None), ("5 min", None)])
def test_interval_forms(text, seconds):
    assert parse_interval(text) == seconds
