"""Keywords: jieba TF-IDF over the title and the lead, segmented by jieba-rs.

Tagging runs on every item, so its cost is a direct fraction of crawl throughput (well under
1 ms per article). Keywords are jieba TF-IDF over the title plus the lead (the first ~300
characters: the lead of a news article carries its topic), segmented by jieba-rs, jieba in
Rust (~0.15 µs per character where Python jieba takes ~3 µs). The tokenizer and the IDF table
(hundreds of thousands of entries, ~1 s to load) are loaded once per process and shared by
every ``Tagger`` that uses the same user dictionary.
"""

from __future__ import annotations

import functools
import re
from array import array
from collections.abc import Iterable
from pathlib import Path

from crawler.config.loading import DATA_DIR, ConfigError

DEFAULT_USERDICT_FILE = DATA_DIR / "jieba_userdict.txt"
KEYWORD_STOPWORDS_FILE = DATA_DIR / "keyword_stopwords.txt"  # reporting filler: 据介绍, 相比

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


def read_stop_words(path: Path) -> frozenset[str]:
    """One word a line, ``#`` comments: a list people extend without touching code."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


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


class KeywordExtractor:
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
        import rjieba

        tokenizer = rjieba.Jieba()
        if userdict:
            for word, freq, tag in _read_userdict(userdict):
                tokenizer.add_word(word, freq, tag)
        self._cut = tokenizer.cut
        # Not ``jieba.analyse.TFIDF``: importing jieba.analyse loads jieba's part-of-speech
        # tables (~110 MB) and its IDF dict takes ~40 MB more, most of a crawl's memory.
        self.idf = _IdfTable.of_jieba()
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
def keyword_extractor(userdict: str | None) -> KeywordExtractor:
    """One tokenizer + IDF table per user dictionary per process (~1 s and ~100 MB each)."""
    return KeywordExtractor(userdict)
