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
        from pipelines.tagging.keyword_tables import IdfTable, new_tokenizer

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


@functools.lru_cache(maxsize=4)
def keyword_extractor(userdict: str | None) -> KeywordExtractor:
    """One tokenizer + IDF table per user dictionary per process (~1 s and ~100 MB each)."""
    return KeywordExtractor(userdict)
