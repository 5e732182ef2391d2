"""The ingest cache (rag/ingest/cache.py): unchanged files are neither read,
decoded nor cleaned again; anything they were built from that changes
(bytes, metadata entry, origin, cleaning code) rebuilds them; a damaged cache
is ignored. Real Vietnamese articles (a copy of corpus/), the real cleaner."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from rag.index.files import store
from rag.index.files.store import damage, live_generation, read_index
from rag.index.indexer import update_index
from rag.ingest import cache as ingest_cache
from rag.ingest import clean as ingest
from rag.ingest import corpus as corpus_mod
from rag.ingest.cache import CACHE_FILE, IngestCache
from rag.ingest.corpus import load_corpus, read_metadata, write_metadata

LAO_CAI = "004_9294ea0d03f08fb7"
CAO_BANG = "003_230b29e6c2dd1faa"
DAY_NS = 86_400 * 10**9


@pytest.fixture
def old_files(corpus_copy: Path) -> Path:
    """The corpus copy with every file dated yesterday (the state of a corpus at rest)."""
    old = time.time_ns() - DAY_NS
    for p in corpus_copy.iterdir():
        os.utime(p, ns=(old, old))
    return corpus_copy


@pytest.fixture
def builds(monkeypatch) -> list[str]:
    """The ids ``load_corpus`` calls ``build_article`` for (the real one still runs)."""
    calls: list[str] = []
    real = corpus_mod.build_article

    def spy(article_id, *args, **kwargs):
        calls.append(article_id)
        return real(article_id, *args, **kwargs)

    monkeypatch.setattr(corpus_mod, "build_article", spy)
    return calls


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The names of the files ``load_corpus`` opens and reads."""
    calls: list[str] = []
    real = corpus_mod._read_capped_stat

    def spy(path, max_bytes):
        calls.append(Path(path).name)
        return real(path, max_bytes)

    monkeypatch.setattr(corpus_mod, "_read_capped_stat", spy)
    return calls


def cached_load(folder: Path, index_dir: Path, *archives: Path, **kwargs):
    """One ``rag index``-style load: open the cache, load, save."""
    cache = IngestCache.open(index_dir)
    result = load_corpus(folder, *archives, cache=cache, **kwargs)
    cache.save()
    return result


def test_second_load_reuses_every_file_unread(old_files, settings, builds, reads):
    plain = load_corpus(old_files)
    assert len(builds) == 5
    builds.clear(), reads.clear()

    cold = cached_load(old_files, settings.index_dir)
    assert sorted(builds) == sorted(a.id for a in plain.articles) and len(reads) == 5
    builds.clear(), reads.clear()

    warm = cached_load(old_files, settings.index_dir)
    assert builds == [] and reads == []  # neither decoded nor even opened
    assert warm == cold == plain  # the same Article values, the same skipped list
    assert "20 dự án FDI" in {a.id: a.text for a in warm.articles}[LAO_CAI]
    assert {a.id: a.title for a in warm.articles}[CAO_BANG] == "Tập trung phát triển kinh tế đối ngoại"


def test_touched_file_is_hashed_then_reused(old_files, settings, builds, reads):
    cached_load(old_files, settings.index_dir)
    path = old_files / f"{LAO_CAI}.txt"
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**10))  # touched: same bytes, new mtime
    builds.clear(), reads.clear()

    again = cached_load(old_files, settings.index_dir)
    assert reads == [path.name] and builds == []  # read and hashed, not cleaned
    assert again == load_corpus(old_files)
    entry = IngestCache.open(settings.index_dir).entries[os.path.abspath(path)]
    assert entry.mtime_ns == st.st_mtime_ns + 10**10  # the new mtime recorded ...
    reads.clear()
    cached_load(old_files, settings.index_dir)
    assert reads == []  # ... so the next run does not read it at all


def test_edited_file_is_rebuilt_and_only_its_chunks_embedded(old_files, settings, fake, builds):
    update_index(settings, lambda: fake)
    assert (settings.index_dir / CACHE_FILE).is_file()
    before = fake.passages_embedded
    path = old_files / f"{LAO_CAI}.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("20 dự án FDI", "21 dự án FDI"), encoding="utf-8")
    builds.clear()

    report = update_index(settings, lambda: fake)
    assert builds == [LAO_CAI]  # the four others came from the cache
    assert report.changed == (LAO_CAI,) and not report.added and not report.removed
    data = read_index(settings.index_dir, settings)
    assert "21 dự án FDI" in data.articles[LAO_CAI].text
    lao_cai_chunks = sum(1 for c in data.chunks if c.article_id == LAO_CAI)
    assert report.embedded == lao_cai_chunks == fake.passages_embedded - before > 0

    builds.clear()
    unchanged = update_index(settings, lambda: pytest.fail("an unchanged corpus must not load the model"))
    assert builds == [] and not unchanged.wrote


def test_same_size_rewrite_within_the_clock_tick_is_not_trusted(old_files, settings, builds):
    """A file written just before it was cached gets its mtime recorded as
    unknown: rewritten with the same size and the very same mtime, it is
    still rebuilt (a cache keyed on size + mtime alone would serve the old text)."""
    path = old_files / f"{LAO_CAI}.txt"
    text = path.read_text(encoding="utf-8")
    assert "20 dự án FDI" in text
    path.write_text(text, encoding="utf-8")  # written now
    st = path.stat()
    cached_load(old_files, settings.index_dir)
    path.write_text(text.replace("20 dự án FDI", "21 dự án FDI"), encoding="utf-8")  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the same mtime
    assert path.stat().st_size == st.st_size
    builds.clear()

    again = cached_load(old_files, settings.index_dir)
    assert builds == [LAO_CAI]
    assert "21 dự án FDI" in {a.id: a for a in again.articles}[LAO_CAI].text


def test_metadata_change_rebuilds_that_article_only(old_files, settings, builds):
    cached_load(old_files, settings.index_dir)
    metadata = read_metadata(old_files)
    metadata[CAO_BANG]["title"] = "Cao Bằng: phát triển kinh tế đối ngoại"
    write_metadata(old_files, metadata)
    builds.clear()

    again = cached_load(old_files, settings.index_dir)
    assert builds == [CAO_BANG]
    assert {a.id: a.title for a in again.articles}[CAO_BANG] == "Cao Bằng: phát triển kinh tế đối ngoại"
    assert again == load_corpus(old_files)


def test_origin_change_rebuilds(old_files, settings, tmp_path, builds):
    """The same files loaded as a read-only archive (not the corpus) are archive articles."""
    cached_load(old_files, settings.index_dir)
    empty = tmp_path / "empty"
    empty.mkdir()
    builds.clear()
    again = cached_load(empty, settings.index_dir, old_files)
    assert len(builds) == 5 and {a.origin for a in again.articles} == {"archive"}


def _flip_last_text_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    i = data.rindex("n".encode())  # a letter inside the last article's text
    data[i] = ord("m")
    path.write_bytes(bytes(data))


def _foreign_cleaner(path: Path) -> None:
    head, _, body = path.read_bytes().partition(b"\n")
    header = json.loads(head)
    header["cleaner"] = "0" * 64  # made by other cleaning code
    path.write_bytes(json.dumps(header).encode() + b"\n" + body)


@pytest.mark.parametrize("damage_it", [
    lambda p: p.write_bytes(b"\x00\xff not a cache \x80"),
    lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),  # truncated
    _flip_last_text_byte,  # valid JSON, wrong text: caught by the checksum
    _foreign_cleaner,
    lambda p: p.write_bytes(b""),
], ids=["garbage", "truncated", "flipped-byte", "other-cleaner", "empty"])
def test_damaged_cache_is_ignored_and_rebuilt(old_files, settings, fake, builds, damage_it):
    update_index(settings, lambda: fake)
    cache_file = settings.index_dir / CACHE_FILE
    damage_it(cache_file)
    builds.clear()

    report = update_index(settings, lambda: pytest.fail("nothing changed: the model must not load"))
    assert len(builds) == 5  # everything read and cleaned again, no error
    assert not report.wrote and len(report.unchanged) == 5
    assert len(IngestCache.open(settings.index_dir)) == 5  # and the cache was rewritten whole
    builds.clear()
    cached_load(old_files, settings.index_dir)
    assert builds == []


def test_cleaning_code_change_invalidates_every_entry(old_files, settings, builds, monkeypatch, tmp_path):
    cached_load(old_files, settings.index_dir)
    key = ingest_cache.cleaner_key()
    edited = tmp_path / "clean.py"
    edited.write_bytes(Path(ingest.__file__).read_bytes() + b"\n# a cleaning rule changed\n")
    # the module's source now lies in the edited file (find_spec reads an imported module's __spec__)
    monkeypatch.setattr(ingest, "__spec__", importlib.util.spec_from_file_location(ingest.__name__, edited))
    new_key = ingest_cache.cleaner_key.__wrapped__()
    assert new_key != key  # an edit to the cleaner changes the key ...
    monkeypatch.setattr(ingest_cache, "cleaner_key", lambda: new_key)
    builds.clear()
    cached_load(old_files, settings.index_dir)
    assert len(builds) == 5  # ... and drops every entry


def test_deleted_file_disappears_from_the_cache(old_files, settings):
    cached_load(old_files, settings.index_dir)
    gone = old_files / f"{LAO_CAI}.txt"
    assert os.path.abspath(gone) in IngestCache.open(settings.index_dir).entries
    gone.unlink()
    again = cached_load(old_files, settings.index_dir)
    assert LAO_CAI not in {a.id for a in again.articles}
    entries = IngestCache.open(settings.index_dir).entries
    assert os.path.abspath(gone) not in entries and len(entries) == 4


def test_same_results_with_and_without_cache_for_every_kind_of_file(old_files, settings, tmp_path, builds, reads):
    """Binary, oversized, symlinked, copied and near-copied files: the cached
    loads give exactly what the plain load gives, cold and warm."""
    (old_files / "broken.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    (old_files / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    outside = tmp_path / "outside.txt"
    outside.write_text("Bài viết bên ngoài kho, không được đọc.", encoding="utf-8")
    (old_files / "link.txt").symlink_to(outside)
    shutil.copy(old_files / f"{CAO_BANG}.txt", old_files / "zz-copy.txt")
    near = (old_files / "002_e21b414bd808bfac.txt").read_text(encoding="utf-8")
    (old_files / "zz-near.txt").write_text(near + "\n\nThêm một câu.", encoding="utf-8")
    (old_files / "huge.txt").write_text("Lạng Sơn " * 4000, encoding="utf-8")  # 40 kB
    limit = 20_000
    old = time.time_ns() - DAY_NS
    for p in old_files.iterdir():
        if not p.is_symlink():
            os.utime(p, ns=(old, old))  # the new files at rest too

    plain = load_corpus(old_files, max_bytes=limit)
    skipped = {Path(s.file).name: s.reason for s in plain.skipped}
    assert set(skipped) == {"broken.txt", "photo.jpg", "link.txt", "zz-copy.txt", "zz-near.txt", "huge.txt"}
    assert skipped["zz-copy.txt"] == f"duplicate of {CAO_BANG} (kept: first in load order)"  # same dates and mtimes
    assert skipped["link.txt"] == corpus_mod.SYMLINK and skipped["huge.txt"].startswith("larger than")

    cold = cached_load(old_files, settings.index_dir, max_bytes=limit)
    builds.clear(), reads.clear()
    warm = cached_load(old_files, settings.index_dir, max_bytes=limit)
    assert cold == warm == plain
    # the binary file's reason comes from the cache; the oversized one is opened and refused by size, as before
    assert builds == [] and reads == ["huge.txt"]
    assert "outside.txt" not in reads
    assert not any(str(outside) in key for key in IngestCache.open(settings.index_dir).entries)


def test_size_cap_and_symlinks_still_apply_to_cached_files(old_files, settings, tmp_path, reads):
    cached_load(old_files, settings.index_dir)
    small = cached_load(old_files, settings.index_dir, max_bytes=8_000)  # a lower cap than when cached
    too_large = {Path(s.file).name for s in small.skipped if s.reason.startswith("larger than")}
    assert too_large == {f"{CAO_BANG}.txt", "001_dd2bdff73f5fbbed.txt", "002_e21b414bd808bfac.txt",
                         f"{LAO_CAI}.txt"}

    target = old_files / f"{LAO_CAI}.txt"
    moved = tmp_path / "elsewhere.txt"
    shutil.move(target, moved)
    target.symlink_to(moved)  # a cached file replaced by a link
    reads.clear()
    linked = cached_load(old_files, settings.index_dir)
    assert {Path(s.file).name: s.reason for s in linked.skipped} == {target.name: corpus_mod.SYMLINK}
    assert LAO_CAI not in {a.id for a in linked.articles} and reads == []


def test_a_new_copy_is_still_found_as_duplicate_with_a_warm_cache(old_files, settings, monkeypatch):
    cached_load(old_files, settings.index_dir)
    calls = []
    real = corpus_mod.find_duplicates
    monkeypatch.setattr(corpus_mod, "find_duplicates", lambda articles: calls.append(1) or real(articles))
    cached_load(old_files, settings.index_dir)
    assert calls == []  # the same articles: the remembered result
    shutil.copy(old_files / f"{CAO_BANG}.txt", old_files / "zz-copy.txt")
    again = cached_load(old_files, settings.index_dir)
    assert calls == [1]
    assert {Path(s.file).name: s.reason for s in again.skipped} == {"zz-copy.txt": f"duplicate of {CAO_BANG} (kept: the older file)"}


def test_cache_lies_beside_the_generations_and_rebuild_ignores_it(old_files, settings, fake, builds):
    update_index(settings, lambda: fake)
    assert CACHE_FILE not in store.FILES
    gen = live_generation(settings.index_dir)
    manifest = json.loads((gen / store.MANIFEST).read_text(encoding="utf-8"))
    assert CACHE_FILE not in manifest["files"] and not (gen / CACHE_FILE).exists()
    builds.clear()
    update_index(settings, lambda: fake, rebuild=True)
    assert len(builds) == 5  # --rebuild reads every file again, the cache notwithstanding
    (settings.index_dir / CACHE_FILE).write_bytes(b"damaged")
    assert damage(settings.index_dir) == {}  # the index is sound whatever the cache holds


def test_cache_load_time_and_size_on_the_dev_archive(archive_dir, settings, tmp_path):
    """1,500 real articles: a warm load reads no file and gives what a plain load gives (speed is
    measured by benchmarks, never asserted)."""
    empty = tmp_path / "empty"
    empty.mkdir()
    plain = load_corpus(empty, archive_dir)
    cold = cached_load(empty, settings.index_dir, archive_dir)
    cache = IngestCache.open(settings.index_dir)
    warm = load_corpus(empty, archive_dir, cache=cache)
    assert warm == cold == plain
    assert cache.stats["unread"] == len(cache) >= 1500 and cache.stats["built"] == 0


def test_a_cache_that_cannot_be_saved_never_fails_the_index(old_files, settings, fake, monkeypatch, builds):
    """Full disk while saving the cache: logged, the index is still built; the next run just cleans again."""
    real_replace = os.replace

    def full(src, dst, *args, **kwargs):
        if Path(dst).name == CACHE_FILE:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(ingest_cache.os, "replace", full)
    report = update_index(settings, lambda: fake)
    assert report.wrote and len(report.added) == 5
    assert not (settings.index_dir / CACHE_FILE).exists()
    assert not (settings.index_dir / f"{CACHE_FILE}.tmp").exists()  # no leftover beside the index
    monkeypatch.setattr(ingest_cache.os, "replace", real_replace)
    builds.clear()
    update_index(settings, lambda: pytest.fail("nothing changed: the model must not load"))
    assert len(builds) == 5
