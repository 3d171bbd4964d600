"""The keyword extractor's two big tables, loaded cheaply (used by ``pipelines.tagging``).

- ``new_tokenizer``: a private jieba-rs tokenizer (``rjieba.Jieba``) without the module-wide
  one that ``import rjieba`` builds in its ``__init__`` and the crawl never uses (~33 MB and
  ~0.1 s CPU per process).
- ``IdfTable.of_jieba``: jieba's IDF table (``jieba/analyse/idf.txt``, 270,000 words) as an
  open-addressing hash table of the words' 64-bit BLAKE2b hashes. Built once (~0.6 s) into a
  cache file and then mapped into memory: a crawl's start-up reads no text file, and the
  8 MB of the table are page cache shared by every crawl process on the machine, not private
  memory of each (it took ~0.45 s CPU and ~16 MB per process). Only a hash is kept per word:
  two words of the table sharing one is not a real concern, and a word outside it that
  collides with one only borrows that word's IDF. Without a writable cache directory the
  table is built in memory, as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import mmap
import os
import struct
import sys
import tempfile
from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

_MAGIC = b"PCIDF001"
_HEADER = struct.Struct("<8sqd")  # magic, word count, median IDF
_HEADER_SIZE = 64  # keeps the arrays 8-byte aligned
CACHE_DIR_ENV = "PORTAL_CACHE_DIR"  # else $XDG_CACHE_HOME/portal-crawler, ~/.cache/...


def new_tokenizer() -> Any:
    """A new ``rjieba.Jieba``. Its extension module is loaded without running the package's
    ``__init__`` (which builds a default instance); a later ``import rjieba`` still works,
    it finds the extension module loaded."""
    package = sys.modules.get("rjieba")
    if package is not None:
        return package.Jieba()
    native = sys.modules.get("rjieba.rjieba")
    if native is None:
        try:
            native = _load_native("rjieba", "rjieba.rjieba")
        except Exception:  # noqa: BLE001 - an unusual install: the ordinary import
            import rjieba

            return rjieba.Jieba()
    return native.Jieba()


def _load_native(package: str, name: str) -> Any:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(package)
    finder_spec = None
    for location in spec.submodule_search_locations:
        for candidate in sorted(Path(location).iterdir()):
            if candidate.name.startswith(name.rpartition(".")[2] + ".") and candidate.suffix in (
                ".so",
                ".pyd",
            ):
                finder_spec = importlib.util.spec_from_file_location(name, candidate)
                break
    if finder_spec is None or finder_spec.loader is None:
        raise ImportError(name)
    module = importlib.util.module_from_spec(finder_spec)
    sys.modules[name] = module
    try:
        finder_spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def word_key(word: str) -> int:
    """A word's 64-bit key, the same in every process (``hash()`` of a str is not); 0 marks
    an empty slot."""
    digest = hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True) or 1


class IdfTable:
    SLOTS = 1 << 19  # a load factor of ~0.5 for jieba's table

    def __init__(self, keys: Any, values: Any, count: int, median: float) -> None:
        self._keys = keys
        self._values = values
        self._count = count
        self.median = median

    def __len__(self) -> int:
        return self._count

    @classmethod
    def build(cls, lines: Iterable[str]) -> IdfTable:
        keys = array("q", bytes(8 * cls.SLOTS))
        values = array("d", bytes(8 * cls.SLOTS))
        mask = cls.SLOTS - 1
        ordered = array("d")
        for line in lines:
            word, _, value = line.strip().partition(" ")
            if not (word and value):
                continue
            idf = float(value)
            key = word_key(word)
            slot = key & mask
            while keys[slot] not in (0, key):
                slot = (slot + 1) & mask
            keys[slot] = key
            values[slot] = idf
            ordered.append(idf)
        count = len(ordered)
        median = sorted(ordered)[count // 2] if count else 0.0
        return cls(keys, values, count, median)

    @classmethod
    def of_jieba(cls, cache_dir: str | Path | None = None) -> IdfTable:
        spec = importlib.util.find_spec("jieba")
        assert spec is not None and spec.origin is not None
        source = Path(spec.origin).parent / "analyse" / "idf.txt"
        stat = source.stat()
        directory = Path(cache_dir) if cache_dir else _cache_dir()
        cached = directory / f"jieba-idf-{stat.st_size}-{stat.st_mtime_ns}-{cls.SLOTS}.bin"
        with contextlib.suppress(OSError, ValueError):
            return cls._mapped(cached)
        with source.open(encoding="utf-8") as lines:
            table = cls.build(lines)
        try:
            table._save(cached)
        except OSError as exc:
            logger.debug("IDF table not cached in %s: %s", directory, exc)
        return table

    def get(self, word: str, default: float) -> float:
        key = word_key(word)
        mask = self.SLOTS - 1
        keys = self._keys
        slot = key & mask
        while True:
            found = keys[slot]
            if found == key:
                return float(self._values[slot])
            if found == 0:
                return default
            slot = (slot + 1) & mask

    def _save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        header = _HEADER.pack(_MAGIC, self._count, self.median).ljust(_HEADER_SIZE, b"\0")
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(header)
                out.write(memoryview(self._keys).cast("B"))
                out.write(memoryview(self._values).cast("B"))
            os.replace(tmp, path)  # atomic: concurrent crawls never read half a file
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @classmethod
    def _mapped(cls, path: Path) -> IdfTable:
        size = 8 * cls.SLOTS
        with path.open("rb") as f:
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if len(mapped) != _HEADER_SIZE + 2 * size:
            mapped.close()
            raise ValueError(f"{path}: not an IDF table of {cls.SLOTS} slots")
        magic, count, median = _HEADER.unpack_from(mapped, 0)
        if magic != _MAGIC:
            mapped.close()
            raise ValueError(f"{path}: not an IDF table")
        view = memoryview(mapped)
        keys = view[_HEADER_SIZE : _HEADER_SIZE + size].cast("q")
        values = view[_HEADER_SIZE + size :].cast("d")
        return cls(keys, values, count, median)


def _cache_dir() -> Path:
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "portal-crawler"
