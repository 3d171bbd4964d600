"""Fingerprints of an article body: pure functions, no database, no Scrapy.

``content_hash`` (exact copies), a 64-bit ``simhash`` (near copies), the band and sentence
anchor keys the index looks candidates up by, and the character 3-gram shingles it verifies
them with. Longer than most modules on purpose: normalisation, simhash and shingles share one
hashing of the text, and splitting them would spread that one computation over three files.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from array import array
from dataclasses import dataclass

SHINGLE = 3  # characters per shingle; changing it changes every stored simhash
SIMHASH_BANDS = 4  # 16-bit bands: candidates within Hamming distance 3 are guaranteed
ANCHOR_BAND = 16  # band number of sentence anchors in dedup_keys
ANCHORS = 8  # anchors per article: its longest sentences
ANCHOR_MIN_CHARS = 12  # normalised characters; shorter sentences (责任编辑：王敏) are no anchors

# -- normalisation and exact fingerprint -----------------------------------------------------

_NON_TEXT_RE = re.compile(r"[\W_]+", re.UNICODE)
_SENTENCE_RE = re.compile(r"[。！？；!?;\n]+|\.(?!\d)")  # run on NFKC text; keeps 1.2


def _compat_runs_re() -> re.Pattern[str]:
    """Runs of BMP characters that NFKC changes (全角 digits, （）, ℃, Ⅳ ...)."""
    changed = [c for c in map(chr, range(0x10000))
               if not 0xD800 <= ord(c) < 0xE000 and unicodedata.normalize("NFKC", c) != c]
    ranges: list[list[str]] = []
    for c in changed:
        if ranges and ord(c) == ord(ranges[-1][1]) + 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return re.compile("([" + "".join(
        re.escape(a) if a == b else f"{re.escape(a)}-{re.escape(b)}" for a, b in ranges) + "]+)")


_COMPAT_RUNS_RE = _compat_runs_re()
_COMPAT_CACHE: dict[str, str] = {}  # run -> its NFKC form; runs are mostly single （，：


def _nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, 3-5x faster on Chinese text.

    Full NFKC of a 3,000-character body costs ~0.4 ms once it holds a single full-width comma.
    Normalising only the runs NFKC changes gives a text compatibility-equivalent to the input;
    when that text is normalised it IS the NFKC form (the normal form is unique), otherwise
    (combining marks, rare non-BMP symbols) the full normalisation runs.
    """
    if unicodedata.is_normalized("NFKC", text):
        return text
    parts = _COMPAT_RUNS_RE.split(text)  # plain, run, plain, run, ..., plain
    runs = parts[1::2]
    for run in set(runs).difference(_COMPAT_CACHE):
        if len(_COMPAT_CACHE) > 50_000:
            _COMPAT_CACHE.clear()
        _COMPAT_CACHE[run] = unicodedata.normalize("NFKC", run)
    parts[1::2] = map(_COMPAT_CACHE.__getitem__, runs)
    fast = "".join(parts)
    return fast if unicodedata.is_normalized("NFKC", fast) else unicodedata.normalize("NFKC", text)


def _normalize(body: str) -> str:
    return _NON_TEXT_RE.sub("", _nfkc(body).lower())


def normalized_text(body: str) -> str:
    """Body text without width, case, whitespace or punctuation differences."""
    return _normalized_sentences(body)[0]


# Sentence ends become this mark before the punctuation goes, so one pass of each regex over
# the whole body yields both the normalised text and its normalised sentences (per-sentence
# regex calls cost more than the scanning). _KEEP_MARK_RE is _NON_TEXT_RE sparing the mark.
_MARK = "\x00"
_KEEP_MARK_RE = re.compile(r"[^\w\x00]+|_+", re.UNICODE)


@functools.lru_cache(maxsize=8)
def _normalized_sentences(body: str) -> tuple[str, list[str]]:
    """(``_normalize(body)``, the normalised sentences of the body).

    Cached: the fingerprint, the anchor keys and the shingles of one body each need it.
    Stored bodies read back for a comparison use ``_normalize`` and stay out of this cache.
    Sentences are split on the NFKC text, as ``_SENTENCE_RE`` expects; lowering first changes
    no sentence end.
    """
    lowered = _nfkc(body).lower().replace(_MARK, "")
    marked = _KEEP_MARK_RE.sub("", _SENTENCE_RE.sub(_MARK, lowered))
    return marked.replace(_MARK, ""), marked.split(_MARK)


def content_hash(body: str) -> str:
    return hashlib.sha256(normalized_text(body).encode("utf-8")).hexdigest()


# -- simhash ---------------------------------------------------------------------------------
#
# A per-shingle Python loop costs ~3 ms for 3,000 characters. Instead every shingle gets a slot
# of 128 bits in ONE big integer and all shingles are hashed at once with big-int arithmetic
# (C loops): the code points of a 3-gram are packed into 63 bits (injective), xor-ed with a key
# and multiplied by a 64-bit odd constant -- the 127-bit product cannot carry out of its slot --
# and the high and low halves of the product are xor-ed (the "mum" mix of wyhash: every output
# bit depends on every input bit). The 64 column sums are then taken bit-sliced: the slots are
# folded in halves with a ripple-carry adder on bit planes. Stable across processes (no
# ``hash()``); ``tests/test_pipeline_dedup.py`` checks it against the per-shingle definition.

_SLOT = 128
_KEY = 0x2D358DCCAA6C78A5
_MUL = 0x8BB84B93962EACC9
_U64 = (1 << 64) - 1
_masks: list[int] = [0, 0, 0]  # [slots covered, low-64-bits mask, key in every slot]


def _slot_masks(slots: int) -> tuple[int, int]:
    """(low 64 bits of each slot, _KEY in each slot), for at least ``slots`` slots.

    Bigger masks work too: ``a & b`` of non-negative ints is as long as the shorter one.
    """
    if _masks[0] < slots:
        size = max(slots, 2 * _masks[0], 4096)
        _masks[:] = [size, int.from_bytes((b"\xff" * 8 + b"\x00" * 8) * size, "little"),
                     int.from_bytes((_KEY.to_bytes(8, "little") + b"\x00" * 8) * size, "little")]
    return _masks[1], _masks[2]


def _shingle_slots(text: str) -> tuple[int, int]:
    """(big int with one 64-bit shingle hash per 128-bit slot, number of shingles)."""
    n = len(text)
    count = n - SHINGLE + 1
    if count <= 0:
        return 0, 0
    spaced = bytearray(16 * n)
    memoryview(spaced).cast("I")[0::4] = memoryview(text.encode("utf-32-le")).cast("I")
    codes = int.from_bytes(spaced, "little")
    packed = codes
    for pos in range(1, SHINGLE):
        packed ^= codes >> (_SLOT * pos - 21 * pos)  # char i+pos into bits 21*pos.. of slot i
    whole = (1 << (_SLOT * count)) - 1
    low, keys = _slot_masks(count)
    product = (packed & whole ^ keys & whole) * _MUL
    return ((product >> 64) ^ product) & low & whole, count


def _column_majority(slots: int, count: int) -> int:
    """Bit j set when bit j is set in more than half of the ``count`` slot values."""
    planes = [slots]  # bit planes of per-slot, per-bit counters, least significant first
    fields = count
    while fields > 1:
        half = (fields + 1) // 2
        shift = _SLOT * half
        mask = (1 << shift) - 1
        carry, summed = 0, []
        for plane in planes:
            a, b = plane & mask, plane >> shift
            partial = a ^ b
            summed.append(partial ^ carry)
            carry = (a & b) | (carry & partial)
        summed.append(carry)
        planes, fields = summed, half
    # bit-sliced "counter >= count // 2 + 1": no borrow out of counter - need
    need, borrow = count // 2 + 1, 0
    if need >> len(planes):
        return 0
    for i, plane in enumerate(planes):
        plane &= _U64
        borrow = (~plane & _U64) | (borrow & plane) if (need >> i) & 1 else borrow & ~plane
    return ~borrow & _U64


# An item's shingle hashes serve its simhash and its shingle set, both made by ``analyse``
# (~16 bytes a character, so only the last few are kept).
_item_slots = functools.lru_cache(maxsize=4)(_shingle_slots)


def simhash_of_normalized(text: str) -> int:
    """Unsigned 64-bit simhash of the character 3-grams of already normalised text."""
    slots, count = _item_slots(text)
    return _column_majority(slots, count) if count else 0


def to_signed64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def to_unsigned64(value: int) -> int:
    return value & _U64


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & _U64).bit_count()


def band_keys(simhash: int) -> list[tuple[int, int]]:
    """(band, 16-bit key) pairs: a stored simhash within distance 3 shares at least one."""
    value = to_unsigned64(simhash)
    return [(band, (value >> (16 * band)) & 0xFFFF) for band in range(SIMHASH_BANDS)]


def anchor_keys(body: str) -> list[tuple[int, int]]:
    """(ANCHOR_BAND, key) for the longest normalised sentences of the body.

    A reprint keeps most sentences verbatim even when it drops a paragraph or re-flows the
    paragraphs, and the longest sentences of a copy are mostly the longest of the original.
    """
    sentences = set(_normalized_sentences(body)[1])
    longest = sorted((s for s in sentences if len(s) >= ANCHOR_MIN_CHARS),
                     key=lambda s: (-len(s), s))[:ANCHORS]
    return [(ANCHOR_BAND, to_signed64(int.from_bytes(
        hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(), "little")))
        for s in longest]


def shingle_set(text: str) -> frozenset[int]:
    """The set of the text's character 3-grams, each as its 64-bit simhash shingle hash.

    Built from the same C-level big-int hashing as the simhash (~20x faster than a set of
    3-character strings, and smaller in memory); two different 3-grams share a hash with
    probability 2**-64, so containment is the same number as on the strings.
    """
    return _slot_set(*_shingle_slots(text))


def _item_shingle_set(text: str) -> frozenset[int]:
    """``shingle_set`` of an item's normalised body, reusing its fingerprint's hashing."""
    return _slot_set(*_item_slots(text))


def _slot_set(slots: int, count: int) -> frozenset[int]:
    if not count:
        return frozenset()
    return frozenset(memoryview(slots.to_bytes(16 * count, "little")).cast("Q")[::2])


def containment(a: frozenset[int], b: frozenset[int] | array[int]) -> float:
    """Shared shingles over the shingles of the smaller text: 1.0 when one contains the other.

    ``b`` may be the compact array form the index caches (distinct values, like the set).
    """
    if not a or not b:
        return 0.0
    return len(a.intersection(b)) / min(len(a), len(b))


_CHUNK = 128  # shingles compared between two checks of "is the answer already sure?"


def contains_at_least(mine: frozenset[int], theirs: array[int], threshold: float) -> bool:
    """``containment(mine, theirs) >= threshold``, decided as soon as the rest cannot change it.

    Most candidates the index verifies are other stories (containment ~0.3 against 0.85
    needed): after a fifth of the shingles enough have missed that the answer is no. The same
    answer as ``containment``, exactly: the shared count is summed chunk by chunk, and the
    final value lies between the count so far and the count plus what is left.
    """
    smaller = min(len(mine), len(theirs))
    if not smaller:
        return threshold <= 0.0
    hits, left = 0, len(theirs)
    for start in range(0, len(theirs), _CHUNK):
        chunk = theirs[start : start + _CHUNK]
        hits += len(mine.intersection(chunk))
        left -= len(chunk)
        if hits / smaller >= threshold:
            return True
        if (hits + left) / smaller < threshold:
            return False
    return hits / smaller >= threshold


@dataclass(frozen=True)
class Fingerprint:
    content_hash: str
    simhash: int  # signed 64-bit
    normalized: str


def fingerprint(body: str) -> Fingerprint:
    text = normalized_text(body)
    return Fingerprint(hashlib.sha256(text.encode("utf-8")).hexdigest(),
                       to_signed64(simhash_of_normalized(text)), text)


@dataclass(frozen=True)
class Analysis:
    """Everything the index needs of an item's body (``ArticleItem.fingerprint``)."""

    content_hash: str
    simhash: int  # signed 64-bit
    keys: tuple[tuple[int, int], ...]  # band and anchor keys; empty: too short to index
    shingles: array[int]  # its distinct shingle hashes (empty when keys are)
    min_chars: int  # the DEDUP_MIN_CHARS it was made with


def index_keys(body: str, normalized: str, simhash: int, min_chars: int) -> list[tuple[int, int]]:
    """The band and anchor keys a body is indexed under; none when it is too short to index."""
    if len(normalized) < min_chars:
        return []
    return list(dict.fromkeys(band_keys(simhash) + anchor_keys(body)))


def analyse(body: str, min_chars: int) -> Analysis:
    """Fingerprint, index keys and shingles of a body: everything the index needs of it,
    computed once by the dedup pipeline and carried to storage on the item."""
    fp = fingerprint(body)
    keys = tuple(index_keys(body, fp.normalized, fp.simhash, min_chars))
    shingles = array("Q", _item_shingle_set(fp.normalized)) if keys else array("Q")
    return Analysis(fp.content_hash, fp.simhash, keys, shingles, min_chars)


# same_story's defaults: the project's DEDUP_* settings (crawler/settings.py), which tests and
# tuning scripts compare against without a crawler.
SAME_STORY_DISTANCE = 24
SAME_STORY_CONTAINMENT = 0.85
SAME_STORY_MIN_CHARS = 30


def same_story(a: str, b: str, *, threshold: int | None = None,
               min_containment: float | None = None) -> bool:
    """The index's decision for two bodies, without a database (for tests and tuning).

    True when the texts are identical after normalisation, or when ``b`` would be found as a
    candidate of ``a`` (shared band or anchor, within ``threshold`` bits) and passes the
    containment check.
    """
    threshold = SAME_STORY_DISTANCE if threshold is None else threshold
    min_containment = SAME_STORY_CONTAINMENT if min_containment is None else min_containment
    fa, fb = fingerprint(a), fingerprint(b)
    if fa.content_hash == fb.content_hash:
        return True
    min_chars = SAME_STORY_MIN_CHARS  # too short: no keys, so exact matches only
    keys_a = set(index_keys(a, fa.normalized, fa.simhash, min_chars))
    keys_b = set(index_keys(b, fb.normalized, fb.simhash, min_chars))
    if not keys_a & keys_b or hamming(fa.simhash, fb.simhash) > threshold:
        return False
    return containment(shingle_set(fa.normalized), shingle_set(fb.normalized)) >= min_containment

