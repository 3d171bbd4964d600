"""pipelines.tagging.keyword_tables: the IDF table mapped from its cache is the table built from
jieba's file, and the tokenizer loaded without rjieba's module-wide instance segments alike."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from pipelines.tagging.keyword_tables import IdfTable, new_tokenizer


def _idf_lines() -> list[str]:
    spec = importlib.util.find_spec("jieba")
    assert spec is not None and spec.origin is not None
    path = Path(spec.origin).parent / "analyse" / "idf.txt"
    return path.read_text(encoding="utf-8").splitlines()


def test_cached_table_is_the_built_table(tmp_path: Path) -> None:
    lines = _idf_lines()
    built = IdfTable.build(lines)
    first = IdfTable.of_jieba(tmp_path)  # builds and writes the cache
    assert list(tmp_path.glob("jieba-idf-*.bin"))
    mapped = IdfTable.of_jieba(tmp_path)  # maps it
    assert len(built) == len(first) == len(mapped) == len(lines)
    assert built.median == first.median == mapped.median
    for line in lines[::97]:
        word, _, value = line.partition(" ")
        assert mapped.get(word, -1.0) == float(value) == built.get(word, -1.0)
    assert mapped.get("这个词不在表里xyz", -1.0) == -1.0


def test_unwritable_cache_builds_in_memory(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    table = IdfTable.of_jieba(blocked / "cache")
    assert len(table) > 200_000


def test_a_broken_cache_file_is_rebuilt(tmp_path: Path) -> None:
    IdfTable.of_jieba(tmp_path)
    (cached,) = tmp_path.glob("jieba-idf-*.bin")
    cached.write_bytes(b"garbage")
    table = IdfTable.of_jieba(tmp_path)
    assert len(table) > 200_000
    assert cached.stat().st_size > 1_000_000


def test_tokenizer_segments_as_rjieba() -> None:
    import rjieba

    text = "中国石化与西门子签署智能制造合作协议，推进工业互联网平台建设。"
    assert new_tokenizer().cut(text) == rjieba.Jieba().cut(text)


def test_tokenizer_without_the_module_wide_instance() -> None:
    """In a fresh process: rjieba's package __init__ (and its default instance) is not run,
    and a later ``import rjieba`` still works."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from pipelines.tagging.keyword_tables import new_tokenizer\n"
        "words = new_tokenizer().cut('智能制造')\n"
        "assert 'rjieba' not in sys.modules, 'package imported'\n"
        "import rjieba\n"
        "assert rjieba.cut('智能制造') == words\n"
    )
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, timeout=60)
