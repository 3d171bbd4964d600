"""Industry, company and keyword tags for articles.

Tagging runs on every item, so its cost is a direct fraction of crawl throughput. The design
follows from that budget (well under 1 ms per article):

* industry keywords and company aliases go into ONE Aho-Corasick automaton built once from
  ``taxonomy.yaml`` (``ahocorasick_rs``, the Rust ``aho-corasick`` crate: ~15 ns per
  character where pyahocorasick's iterator took ~80); a single pass over title and body
  finds every candidate, and a cheap leftmost-longest selection in Python resolves overlaps
  (``中国石化`` beats ``石化``);
* keywords are jieba TF-IDF over the title plus the lead (first ~300 characters; the lead of
  a news article carries its topic), segmented by jieba-rs, jieba in Rust (~0.15 µs per
  character where Python jieba takes ~3 µs);
* the tokenizer and the TF-IDF table (hundreds of thousands of entries, ~1 s to load)
  are loaded once per process and shared by every ``Tagger`` that uses the same user
  dictionary.

Run ``python -m pipelines.tagging`` to print the per-article cost on this machine.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ahocorasick_rs
from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured

from crawler.config.loading import DATA_DIR, ConfigError, load_yaml
from crawler.items import Tag

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

DEFAULT_TAXONOMY_FILE = DATA_DIR / "taxonomy.yaml"
DEFAULT_USERDICT_FILE = DATA_DIR / "jieba_userdict.txt"
KEYWORD_STOPWORDS_FILE = DATA_DIR / "keyword_stopwords.txt"  # reporting filler: 据介绍, 相比


def _read_stop_words(path: Path) -> frozenset[str]:
    """One word a line, ``#`` comments: a list people extend without touching code."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))
DEFAULT_MAX_KEYWORDS = 8
DEFAULT_LEAD_CHARS = 300

_TOP_LEVEL_KEYS = frozenset({"scoring", "industries", "companies", "stop_words"})
_SCORING_DEFAULTS: dict[str, float] = {
    "title_weight": 3.0,
    "min_score": 4.0,
    "min_keywords": 2,
    "body_hit_cap": 3,
}
_INTEGER_SCORING_KEYS = frozenset({"min_keywords", "body_hit_cap"})

# Upper-case ASCII only: ``str.lower`` may change the length of some non-ASCII strings, and
# match offsets must stay valid in the original text for the word-boundary check.
_ASCII_UPPER_RUN = re.compile("[A-Z]+")
_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")

# Counts, dates, money and measurements ("2000", "3%", "万吨", "一季度") say nothing about the
# topic. Tokens with a Latin letter ("5G", "S7") are model/technology names and stay.
_NUMBERISH = re.compile(
    r"[\d.,:%％/+\-×~～]+.?"
    r"|\d[\d.]*[A-Za-z/]{2,}"  # 255Wh, 1Gbps, 4kHz; but "5G" stays
    r"|[0-9一二三四五六七八九十百千万亿两几多半首]+"
    r"[个年月日号时家台套项条次种类批元吨度瓦千万亿季期届位名座倍成米里斤克辆片人]*"
)
_HAS_WORD_CHAR = re.compile(r"[A-Za-z\u4e00-\u9fff]")
_UNSEEN = object()
_IDF_CACHE_WORDS = 20_000  # ~3 MB at most: a news vocabulary is small


def _fold(text: str) -> str:
    """ASCII letters lowered, every other character kept, so positions stay valid.

    Lowering runs of capitals with a regex: ``str.translate`` costs ~0.1 µs per CJK character
    and this runs over every body.
    """
    if text.isascii():
        return text.lower()
    return _ASCII_UPPER_RUN.sub(_lower_match, text)


def _lower_match(match: re.Match[str]) -> str:
    return match.group().lower()


@dataclass(frozen=True)
class Scoring:
    """Thresholds that keep one passing mention from tagging an article."""

    title_weight: float = 3.0
    min_score: float = 4.0
    min_keywords: int = 2
    body_hit_cap: int = 3


@dataclass(frozen=True)
class Taxonomy:
    """The validated content of ``taxonomy.yaml``.

    ``industries`` maps tag -> {keyword: weight}; ``companies`` maps canonical name -> aliases.
    """

    industries: dict[str, dict[str, float]]
    companies: dict[str, tuple[str, ...]]
    stop_words: frozenset[str]
    scoring: Scoring


# -- loading ------------------------------------------------------------------------------


def _require_str(path: Path, key: str, value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(
            path,
            key,
            f"{what} must be a string, got {type(value).__name__} {value!r}",
            "quote the value or write it as plain text",
        )
    if not value.strip():
        raise ConfigError(path, key, f"{what} is empty", "remove the entry or fill it in")
    if value != value.strip():
        raise ConfigError(
            path, key, f"{what} {value!r} has leading/trailing spaces", "remove the spaces"
        )
    return value


def _number(path: Path, key: str, value: Any, *, integer: bool, minimum: float) -> float:
    ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok_type or value < minimum:
        kind = "an integer" if integer else "a number"
        raise ConfigError(
            path,
            key,
            f"must be {kind} >= {minimum:g}, got {value!r}",
            f"write {kind} such as {_SCORING_DEFAULTS.get(key.split('.')[-1], 1)}",
        )
    return float(value)


def _parse_scoring(path: Path, raw: Any) -> Scoring:
    if raw is None:
        return Scoring()
    if not isinstance(raw, Mapping):
        raise ConfigError(
            path,
            "scoring",
            "must be a mapping",
            "write e.g. 'scoring: {min_score: 4, min_keywords: 2}'",
        )
    values: dict[str, Any] = {}
    for name, value in raw.items():
        key = f"scoring.{name}"
        if name not in _SCORING_DEFAULTS:
            raise ConfigError(
                path,
                key,
                "unknown scoring option",
                f"use one of {', '.join(sorted(_SCORING_DEFAULTS))}",
            )
        integer = name in _INTEGER_SCORING_KEYS
        minimum = 1 if integer or name == "title_weight" else 0
        number = _number(path, key, value, integer=integer, minimum=minimum)
        values[name] = int(number) if integer else number
    return Scoring(**values)


def _parse_keyword(path: Path, key: str, entry: Any) -> tuple[str, float]:
    if isinstance(entry, Mapping):
        if len(entry) != 1:
            raise ConfigError(
                path,
                key,
                f"a weighted keyword needs exactly one 'word: weight' pair, got {dict(entry)!r}",
                "write it as '- 炼油: 2'",
            )
        ((word, weight),) = entry.items()
        word = _require_str(path, key, word, "keyword")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
            raise ConfigError(
                path,
                key,
                f"weight of {word!r} must be a positive number, got {weight!r}",
                "write e.g. '- 炼油: 2'",
            )
        return word, float(weight)
    return _require_str(path, key, entry, "keyword"), 1.0


def _parse_industries(path: Path, raw: Any) -> dict[str, dict[str, float]]:
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError(
            path,
            "industries",
            "must be a non-empty mapping of tag -> keywords",
            "write e.g. 'industries: {电力: [电网, 变电站]}'",
        )
    industries: dict[str, dict[str, float]] = {}
    for name, keywords in raw.items():
        key = f"industries.{name}"
        _require_str(path, key, name, "industry name")
        if not isinstance(keywords, list) or not keywords:
            raise ConfigError(
                path,
                key,
                "keyword list is empty or not a list",
                "give at least two keywords as a YAML list",
            )
        table: dict[str, float] = {}
        for i, entry in enumerate(keywords):
            word, weight = _parse_keyword(path, f"{key}[{i}]", entry)
            folded = _fold(word)
            if folded in table:
                raise ConfigError(
                    path,
                    f"{key}[{i}]",
                    f"duplicate keyword {word!r}",
                    "remove the second occurrence",
                )
            table[folded] = weight
        industries[name] = table
    return industries


def _parse_companies(path: Path, raw: Any) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(
            path,
            "companies",
            "must be a mapping of name -> aliases",
            "write e.g. 'companies: {中国石化: [中国石化, 中石化, Sinopec]}'",
        )
    companies: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    for name, aliases in raw.items():
        key = f"companies.{name}"
        _require_str(path, key, name, "company name")
        if not isinstance(aliases, list) or not aliases:
            raise ConfigError(
                path, key, "alias list is empty or not a list", f"write e.g. '{name}: [{name}]'"
            )
        kept: list[str] = []
        for i, alias in enumerate(aliases):
            alias = _require_str(path, f"{key}[{i}]", alias, "alias")
            folded = _fold(alias)
            if owner.get(folded, name) != name:
                raise ConfigError(
                    path,
                    f"{key}[{i}]",
                    f"alias {alias!r} is already listed under company {owner[folded]!r}",
                    "keep the alias under one company only",
                )
            if folded not in owner:
                owner[folded] = name
                kept.append(alias)
        companies[name] = tuple(kept)
    return companies


def _parse_stop_words(path: Path, raw: Any) -> frozenset[str]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        raise ConfigError(
            path, "stop_words", "must be a list of words", "write e.g. 'stop_words: [公司, 表示]'"
        )
    return frozenset(
        _require_str(path, f"stop_words[{i}]", w, "stop word").lower() for i, w in enumerate(raw)
    )


def load_taxonomy(path: str | Path = DEFAULT_TAXONOMY_FILE) -> Taxonomy:
    """Read and validate ``taxonomy.yaml``.

    Validation happens here rather than at match time because a typo in a data file users
    extend should stop the crawl at start-up with the file, key and fix, not silently drop
    tags for days.
    """
    p = Path(path)
    data = load_yaml(p)
    if not isinstance(data, Mapping):
        raise ConfigError(
            p, "<root>", "the file must be a YAML mapping", "start from crawler/data/taxonomy.yaml"
        )
    for name in data:
        if name not in _TOP_LEVEL_KEYS:
            raise ConfigError(
                p,
                str(name),
                "unknown top-level key",
                f"use only {', '.join(sorted(_TOP_LEVEL_KEYS))}",
            )
    return Taxonomy(
        industries=_parse_industries(p, data.get("industries")),
        companies=_parse_companies(p, data.get("companies")),
        stop_words=_parse_stop_words(p, data.get("stop_words")),
        scoring=_parse_scoring(p, data.get("scoring")),
    )


# -- keyword extraction -------------------------------------------------------------------


# jieba's user dictionary format: ``word [frequency] [part-of-speech]`` per line.
_USERDICT_LINE = re.compile(r"^(.+?)(?: ([0-9]+))?(?: ([a-z]+))?$")


def _read_userdict(path: str) -> list[tuple[str, int | None, str | None]]:
    """Entries of a jieba user dictionary, read as ``jieba.Tokenizer.load_userdict`` reads
    them (a word without a frequency gets the one jieba suggests for it)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(
            path,
            "<file>",
            f"jieba user dictionary cannot be read ({exc.strerror or exc})",
            "point TAGGING_USERDICT_FILE at an existing file",
        ) from exc
    try:
        text = raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            path, f"byte {exc.start}", "jieba user dictionary is not UTF-8", "save it as UTF-8"
        ) from exc
    entries = []
    for line in text.splitlines():
        match = _USERDICT_LINE.match(line.strip())
        if match is None:  # an empty line
            continue
        word, freq, tag = match.groups()
        entries.append((word, int(freq) if freq else None, tag))
    return entries


class _KeywordExtractor:
    """jieba TF-IDF over a short text, segmented by jieba-rs (``rjieba``).

    jieba-rs is jieba's algorithm and dictionary in Rust: on the bench pages it segments
    exactly as ``jieba.Tokenizer`` does, about 20 times faster, which is what lets keywords
    fit in the crawl's CPU budget. The IDF table and stop words are still jieba's own. A
    private ``rjieba.Jieba`` keeps the industrial user dictionary from leaking into other
    users of the module-wide instance. Term frequencies are counted here instead of via
    ``TFIDF.extract_tags`` so that title words can be weighted without segmenting the title
    twice; the formula is jieba's.
    """

    def __init__(self, userdict: str | None) -> None:
        from pipelines.keyword_tables import IdfTable, new_tokenizer

        tokenizer = new_tokenizer()  # without rjieba's module-wide instance (~33 MB)
        if userdict:
            for word, freq, tag in _read_userdict(userdict):
                tokenizer.add_word(word, freq, tag)
        self._cut = tokenizer.cut
        # Not ``jieba.analyse.TFIDF``: importing jieba.analyse loads jieba's part-of-speech
        # tables (~110 MB) and its IDF dict takes ~40 MB more, most of a crawl's memory.
        self.idf = IdfTable.of_jieba()  # mapped from a cache file: no 0.45 s parse per process
        self.median_idf: float = self.idf.median
        self.builtin_stop_words: frozenset[str] = _JIEBA_STOP_WORDS
        self._idf_of: dict[str, float | None] = {}

    def extract(
        self, title: str, lead: str, stop_words: frozenset[str], top_k: int, title_weight: float
    ) -> list[tuple[str, float]]:
        freq: dict[str, float] = {}
        cut = self._cut
        for text, weight in ((title, title_weight), (lead, 1.0)):
            for word in cut(text):
                if len(word) >= 2:
                    freq[word] = freq.get(word, 0.0) + weight
        idf_of = self._idf_of
        scored = []
        for word, tf in freq.items():
            idf = idf_of.get(word, _UNSEEN)
            if idf is _UNSEEN:
                idf = self._remember(word)
            if idf is not None and word.lower() not in stop_words:
                scored.append((word, tf * idf))
        scored.sort(key=lambda pair: pair[1], reverse=True)
        return scored[:top_k]

    def _remember(self, word: str) -> float | None:
        """The word's IDF, or None when it cannot be a keyword at all (a number, a date,
        punctuation). Remembered: three regex tests per word were a third of the keyword
        cost, and a news vocabulary is small. Bounded, for a crawl that runs for months."""
        if len(self._idf_of) >= _IDF_CACHE_WORDS:
            self._idf_of.clear()
        shaped = (
            word.strip() == word
            and _HAS_WORD_CHAR.search(word) is not None
            and not _NUMBERISH.fullmatch(word)
        )
        idf = self.idf.get(word, self.median_idf) if shaped else None
        self._idf_of[word] = idf
        return idf


# jieba.analyse's own stop words (KeywordExtractor.STOP_WORDS), which keywords never are.
_JIEBA_STOP_WORDS = frozenset((
    "the", "of", "is", "and", "to", "in", "that", "we", "for", "an", "are", "by", "be", "as",
    "on", "with", "can", "if", "from", "which", "you", "it", "this", "then", "at", "have",
    "all", "not", "one", "has", "or",
))


class _IdfTable:
    """jieba's IDF table (``jieba/analyse/idf.txt``, 270,000 words) in 8 MB instead of ~40.

    An open-addressing hash table of the words' hashes in two flat arrays, filled line by
    line, so that loading it never holds the 270,000 words as Python strings. Only the hash
    of a word is kept: two words of the table sharing a 64-bit hash is not a real concern,
    and a word outside it that collides with one only borrows that word's IDF.
    """

    _SLOTS = 1 << 19  # a load factor of ~0.5 for jieba's table

    def __init__(self, lines: Iterable[str]) -> None:
        self._keys = array("q", bytes(8 * self._SLOTS))
        self._values = array("d", bytes(8 * self._SLOTS))
        count, values = 0, array("d")
        for line in lines:
            word, _, value = line.strip().partition(" ")
            if word and value:
                self._put(word, float(value))
                values.append(float(value))
                count += 1
        self._count = count
        ordered = sorted(values)
        self.median = ordered[len(ordered) // 2] if ordered else 0.0

    @classmethod
    def of_jieba(cls) -> _IdfTable:
        import importlib.util

        spec = importlib.util.find_spec("jieba")
        assert spec is not None and spec.origin is not None
        path = Path(spec.origin).parent / "analyse" / "idf.txt"
        with path.open(encoding="utf-8") as lines:
            return cls(lines)

    def __len__(self) -> int:
        return self._count

    def _slot(self, word: str) -> tuple[int, int]:
        key = hash(word) or 1  # 0 marks an empty slot
        mask = self._SLOTS - 1
        slot = key & mask
        while self._keys[slot] not in (0, key):
            slot = (slot + 1) & mask
        return slot, key

    def _put(self, word: str, value: float) -> None:
        slot, key = self._slot(word)
        self._keys[slot] = key
        self._values[slot] = value

    def get(self, word: str, default: float) -> float:
        slot, key = self._slot(word)
        return self._values[slot] if self._keys[slot] == key else default


@functools.lru_cache(maxsize=4)
def _keyword_extractor(userdict: str | None) -> _KeywordExtractor:
    """One tokenizer + IDF table per user dictionary per process (~1 s and ~100 MB each)."""
    return _KeywordExtractor(userdict)


# -- tagger -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pattern:
    """What one automaton key means; one key may be both a keyword and a company alias."""

    length: int
    ascii_start: bool  # needs a non-alphanumeric character (or text start) before it
    ascii_end: bool  # ... and after it
    industries: tuple[tuple[str, float], ...]
    company: str | None


class Tagger:
    """Turns (title, body) into industry, company and keyword tags.

    Pure and reusable: build it once (building costs milliseconds for the automaton and about
    a second for jieba on first use in a process), then call ``tag`` per article.
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        *,
        userdict: str | Path | None = DEFAULT_USERDICT_FILE,
        max_keywords: int = DEFAULT_MAX_KEYWORDS,
        keywords_enabled: bool = True,
        lead_chars: int = DEFAULT_LEAD_CHARS,
    ) -> None:
        self.taxonomy = taxonomy
        self.scoring = taxonomy.scoring
        self.max_keywords = max_keywords
        self.lead_chars = lead_chars
        self._automaton, self._meanings = self._build_automaton(taxonomy)
        self._company_aliases = frozenset(
            _fold(a).lower() for aliases in taxonomy.companies.values() for a in aliases
        )
        self._extractor: _KeywordExtractor | None = None
        self._stop_words = taxonomy.stop_words
        if keywords_enabled and max_keywords > 0:
            self._extractor = _keyword_extractor(str(userdict) if userdict else None)
            self._stop_words = (taxonomy.stop_words | self._extractor.builtin_stop_words
                                | _read_stop_words(KEYWORD_STOPWORDS_FILE))

    @staticmethod
    def _build_automaton(taxonomy: Taxonomy) -> tuple[ahocorasick_rs.AhoCorasick, list[_Pattern]]:
        """The automaton over every keyword and alias, and what each of its patterns means."""
        industries: dict[str, list[tuple[str, float]]] = {}
        for name, table in taxonomy.industries.items():
            for word, weight in table.items():
                industries.setdefault(word, []).append((name, weight))
        companies = {
            _fold(a): name for name, aliases in taxonomy.companies.items() for a in aliases
        }
        words = sorted(industries.keys() | companies.keys())
        meanings = [
            _Pattern(
                length=len(word),
                ascii_start=word[0] in _ASCII_ALNUM,
                ascii_end=word[-1] in _ASCII_ALNUM,
                industries=tuple(industries.get(word, ())),
                company=companies.get(word),
            )
            for word in words
        ]
        return ahocorasick_rs.AhoCorasick(words), meanings

    def _matches(self, text: str) -> list[_Pattern]:
        """Leftmost-longest, non-overlapping matches that respect ASCII word boundaries.

        The automaton reports every overlapping hit (its own leftmost-longest mode would drop
        a shorter hit hidden by a longer one that then fails the boundary check); overlaps
        are resolved here so that an alias such as ``中国石化`` hides the keyword ``石化``
        inside it, and ``ABB`` is not found inside ``ABBA``.
        """
        if not text:
            return []
        folded = _fold(text)
        size = len(folded)
        meanings = self._meanings
        found: list[tuple[int, int, _Pattern]] = []
        for index, start, end in self._automaton.find_matches_as_indexes(folded, overlapping=True):
            pattern = meanings[index]
            if pattern.ascii_start and start > 0 and folded[start - 1] in _ASCII_ALNUM:
                continue
            if pattern.ascii_end and end < size and folded[end] in _ASCII_ALNUM:
                continue
            found.append((start, -pattern.length, pattern))
        if len(found) < 2:
            return [p for _, _, p in found]
        found.sort(key=lambda hit: (hit[0], hit[1]))
        chosen: list[_Pattern] = []
        free_from = 0
        for start, neg_len, pattern in found:
            if start >= free_from:
                chosen.append(pattern)
                free_from = start - neg_len
        return chosen

    def _count(
        self,
        patterns: Iterable[_Pattern],
        weight: float,
        cap: float,
        industry: dict[str, dict[str, float]],
        company: dict[str, float],
    ) -> None:
        for p in patterns:
            if p.company is not None:
                company[p.company] = company.get(p.company, 0.0) + weight
            for name, kw_weight in p.industries:
                per_kw = industry.setdefault(name, {})
                # keyed by the pattern object: one key per distinct keyword
                key = id(p)
                per_kw[key] = min(per_kw.get(key, 0.0) + weight * kw_weight, cap * kw_weight)

    def tag(self, title: str, body: str) -> list[Tag]:
        """Tags ordered industries, companies, keywords; each kind by descending score."""
        title = title or ""
        body = body or ""
        s = self.scoring
        industry: dict[str, dict[str, float]] = {}
        company: dict[str, float] = {}
        # Title hits are not capped by body_hit_cap: the cap stops long bodies that repeat
        # a word from drowning short ones, the title is short by nature.
        self._count(self._matches(title), s.title_weight, math.inf, industry, company)
        body_industry: dict[str, dict[str, float]] = {}
        self._count(self._matches(body), 1.0, s.body_hit_cap, body_industry, company)

        in_title = industry.keys() & body_industry.keys()  # industry holds title hits only
        for name, per_kw in body_industry.items():
            merged = industry.setdefault(name, {})
            for key, value in per_kw.items():
                merged[key] = merged.get(key, 0.0) + value

        tags: list[Tag] = []
        industry_tags = []
        for name, per_kw in industry.items():
            raw = sum(per_kw.values())
            # One distinct keyword is enough only when the title names the industry and the
            # body confirms it: a product-market story ("变频器市场...") rarely varies its
            # vocabulary, while a passing mention is never in the title.
            enough_keywords = len(per_kw) >= s.min_keywords or name in in_title
            if raw >= s.min_score and enough_keywords:
                # raw / (raw + min_score): 0.5 at the threshold, approaching 1 with evidence
                industry_tags.append(Tag(name, "industry", round(raw / (raw + s.min_score), 3)))
        industry_tags.sort(key=lambda t: (-t.score, t.name))
        tags.extend(industry_tags)

        company_tags = [
            Tag(name, "company", round(1.0 - math.exp(-raw / s.title_weight), 3))
            for name, raw in company.items()
        ]
        company_tags.sort(key=lambda t: (-t.score, t.name))
        tags.extend(company_tags)

        if self._extractor is not None:
            tags.extend(self._keyword_tags(title, body))
        return tags

    def _keyword_tags(self, title: str, body: str) -> list[Tag]:
        lead = body[: self.lead_chars]
        assert self._extractor is not None
        # Over-fetch so that dropping company names still leaves max_keywords candidates.
        pairs = self._extractor.extract(
            title, lead, self._stop_words, self.max_keywords * 2, self.scoring.title_weight
        )
        pairs = [(w, v) for w, v in pairs if _fold(w).lower() not in self._company_aliases]
        pairs = pairs[: self.max_keywords]
        if not pairs:
            return []
        top = pairs[0][1]
        return [Tag(w, "keyword", round(v / top, 3)) for w, v in pairs]


@functools.lru_cache(maxsize=8)
def get_tagger(
    taxonomy_file: str,
    userdict_file: str | None,
    max_keywords: int = DEFAULT_MAX_KEYWORDS,
    keywords_enabled: bool = True,
    lead_chars: int = DEFAULT_LEAD_CHARS,
) -> Tagger:
    """The process-wide ``Tagger`` for these settings, so that several spiders or crawlers in
    one process do not each rebuild the automaton and reload jieba."""
    return Tagger(
        load_taxonomy(taxonomy_file),
        userdict=userdict_file,
        max_keywords=max_keywords,
        keywords_enabled=keywords_enabled,
        lead_chars=lead_chars,
    )


# -- Scrapy pipeline ----------------------------------------------------------------------


class TaggingPipeline:
    """Sets ``item.tags``; everything expensive happens once, in ``open_spider``.

    Settings: ``TAGGING_ENABLED`` (default True), ``TAGGING_TAXONOMY_FILE``,
    ``TAGGING_USERDICT_FILE``, ``TAGGING_MAX_KEYWORDS`` (default 8),
    ``TAGGING_KEYWORDS_ENABLED`` (default True), ``TAGGING_LEAD_CHARS`` (default 300: how much
    of the body is segmented for keywords; the cost grows linearly with it).
    """

    def __init__(
        self,
        taxonomy_file: str | Path = DEFAULT_TAXONOMY_FILE,
        userdict_file: str | Path | None = DEFAULT_USERDICT_FILE,
        max_keywords: int = DEFAULT_MAX_KEYWORDS,
        keywords_enabled: bool = True,
        stats: StatsCollector | None = None,
        lead_chars: int = DEFAULT_LEAD_CHARS,
    ) -> None:
        self.taxonomy_file = str(taxonomy_file)
        self.userdict_file = str(userdict_file) if userdict_file else None
        self.max_keywords = max_keywords
        self.keywords_enabled = keywords_enabled
        self.stats = stats
        self.lead_chars = lead_chars
        self.tagger: Tagger | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TaggingPipeline:
        settings = crawler.settings
        if not settings.getbool("TAGGING_ENABLED", True):
            raise NotConfigured("tagging disabled by TAGGING_ENABLED=False")
        max_keywords = settings.getint("TAGGING_MAX_KEYWORDS", DEFAULT_MAX_KEYWORDS)
        if max_keywords < 0:
            raise ConfigError(
                "<settings>",
                "TAGGING_MAX_KEYWORDS",
                f"must be >= 0, got {max_keywords}",
                "set it to 0 (no keyword tags) or a small positive number",
            )
        return cls(
            taxonomy_file=settings.get("TAGGING_TAXONOMY_FILE") or DEFAULT_TAXONOMY_FILE,
            userdict_file=settings.get("TAGGING_USERDICT_FILE") or DEFAULT_USERDICT_FILE,
            max_keywords=max_keywords,
            keywords_enabled=settings.getbool("TAGGING_KEYWORDS_ENABLED", True),
            stats=crawler.stats,
            lead_chars=settings.getint("TAGGING_LEAD_CHARS", DEFAULT_LEAD_CHARS),
        )

    @property
    def _config(self) -> tuple[Any, ...]:
        return (
            self.taxonomy_file,
            self.userdict_file,
            self.max_keywords,
            self.keywords_enabled,
            self.lead_chars,
        )

    def open_spider(self) -> None:
        self.tagger = get_tagger(*self._config)

    def process_item(self, item: Any) -> Any:
        if self.tagger is None:  # used without a crawler (scripts, tests)
            self.open_spider()
        assert self.tagger is not None
        adapter = ItemAdapter(item)
        return self._apply(
            adapter, self.tagger.tag(adapter.get("title") or "", adapter.get("body") or "")
        )

    def _apply(self, adapter: ItemAdapter, tags: list[Tag]) -> Any:
        adapter["tags"] = tags
        if self.stats is not None:
            industries = sum(1 for t in tags if t.kind == "industry")
            if industries:
                self.stats.inc_value("tagging/industry_tags", industries)
            else:
                self.stats.inc_value("tagging/untagged")
        return adapter.item
