"""Robustness of the index (issue #10): one writer at a time, readers never
torn, damage detected, reported and repaired, and the environment's refusals
(read-only folder, full disk) as one line. Each case asserts what the user
sees and that the previous index still answers the FDI question (28, citing
article 000). Writers in the concurrency cases are real processes."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import HashEmbedder

import rag.api
from rag.api import RAG
from rag.errors import EnvironmentFault
from rag.index.base import writing
from rag.index.files import store, vectors
from rag.index.files.store import damage, live_generation, read_index
from rag.index.indexer import read_skipped
from rag.index.lock import index_lock
from rag.serve.cli import main

TESTS = Path(__file__).resolve().parent
FDI = "Lạng Sơn có bao nhiêu dự án FDI?"
ART_000 = "000_bf7702f0972e1e9e"
NEW_ARTICLE = "Tiêu đề bài mới về Hà Giang\n\nHà Giang có 7 dự án FDI còn hiệu lực."

WRITER = """
import sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from conftest import HashEmbedder
from rag.api import RAG
from rag.settings import Settings
s = Settings(corpus_dir=Path(sys.argv[2]), index_dir=Path(sys.argv[3]), cache_dir=Path(sys.argv[4]))
print(RAG(s, embedder=HashEmbedder()).index(rebuild=True).summary())
"""


# ---------------------------------------------------------------- helpers
@pytest.fixture
def cli(settings, fake, monkeypatch, capsys):
    """``rag ...`` on the test corpus and index with the fake embedder: (exit code, stdout, stderr)."""
    monkeypatch.setattr(rag.api, "make_embedder", lambda s: fake)  # the model is the slow part

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir), *argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.fixture
def built(cli, settings) -> Path:
    """A freshly built index; returns its live generation folder."""
    code, out, _ = cli("index", "-q")
    assert code == 0 and "added 5" in out
    return live_generation(settings.index_dir)


def assert_answers_fdi(settings) -> None:
    answer = RAG(settings, embedder=HashEmbedder(), auto_index=False).ask(FDI, mode="extractive")
    assert answer.short_answer.startswith("28 dự án") and answer.citations[0].article_id == ART_000


def assert_consistent(settings) -> None:
    """One generation on disk, the live one, sound, its files agreeing with each other."""
    live = live_generation(settings.index_dir)
    assert sorted(settings.index_dir.glob("gen-*")) == [live]
    assert damage(settings.index_dir) == {}
    assert not (settings.index_dir / "CURRENT.tmp").exists()
    data = read_index(settings.index_dir, settings)
    assert len(data.chunks) == len(data.dense) == len(data.lexical) > 0


def assert_one_line_error(err: str, *fragments: str) -> None:
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    for fragment in fragments:
        assert fragment in err


def start_writer(settings, delay: float | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != store.DELAY_ENV}
    if delay is not None:
        env[store.DELAY_ENV] = str(delay)
    args = [str(TESTS), str(settings.corpus_dir), str(settings.index_dir), str(settings.cache_dir)]
    return subprocess.Popen([sys.executable, "-c", WRITER, *args], cwd=TESTS.parent, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=180)
    return proc.returncode, out, err


def wait_for(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def assert_damage_reported_and_repaired(cli, settings, problem: str, repair: str) -> str:
    """status names ``problem`` (exit 2), ask fails in one line naming it, and
    index repairs it saying ``repair``; returns the index summary."""
    code, out, _ = cli("status")
    assert code == 2 and f"damaged: {problem}" in out and "run rag index to repair" in out
    code, _, err = cli("ask", "--mode", "extractive", FDI)
    assert code == 2
    assert_one_line_error(err, "index damaged (", problem, "run rag index to repair")
    code, out, _ = cli("index", "-q")
    assert code == 0 and f"repaired: {repair}" in out and "already up to date" not in out
    assert cli("status")[0] == 0
    assert_consistent(settings)
    assert_answers_fdi(settings)
    return out


# ------------------------------------------------------- what is served
def near_copy_of_000(settings) -> Path:
    """The FDI article with its figure edited, in a new file whose name sorts before the original's."""
    original = settings.corpus_dir / f"{ART_000}.txt"
    copy = settings.corpus_dir / "00-edited.txt"
    copy.write_text(original.read_text(encoding="utf-8").replace("hiện có 28", "hiện có 35"), encoding="utf-8")
    return copy


def test_a_near_copy_never_displaces_the_indexed_article(cli, built, settings):
    """A near-copy with an edited figure, added later, is skipped as a duplicate of the article already
    indexed (it used to replace it: the copy sorts first, and the FDI answer became 35), and the skip
    list says which was kept and why; a rebuild keeps the original too (the older file)."""
    copy = near_copy_of_000(settings)
    os.utime(copy, (time.time() + 60, time.time() + 60))  # written after the original, whatever the clock
    code, out, _ = cli("index", "-q")
    assert code == 0 and f"duplicate of {ART_000} (kept: already in the index)" in out
    assert read_skipped(settings.index_dir) == [(str(copy), f"duplicate of {ART_000} (kept: already in the index)")]
    assert_answers_fdi(settings)
    code, out, _ = cli("index", "-q", "--rebuild")
    assert code == 0 and f"duplicate of {ART_000} (kept: the older file)" in out
    assert "00-edited" not in read_index(settings.index_dir, settings).articles
    assert_answers_fdi(settings)


# ------------------------------------------------------ one writer at a time
def test_two_concurrent_indexers(settings):
    """Two `rag index` processes at once: both exit 0, one complete consistent generation stays live."""
    first, second = start_writer(settings), start_writer(settings)
    for code, out, err in (finish(first), finish(second)):
        assert code == 0, err
        assert "added 5" in out
    assert_consistent(settings)
    assert_answers_fdi(settings)


def test_indexer_delayed_between_switch_and_cleanup(settings):
    """A writer paused after its switch holds the lock: the second waits with a message, then succeeds."""
    first = start_writer(settings, delay=5)
    wait_for(lambda: (settings.index_dir / "CURRENT").exists())
    second = start_writer(settings)
    assert_answers_fdi(settings)  # readers meanwhile see the switched, complete generation
    code, _, err = finish(first)
    assert code == 0, err
    code, out, err = finish(second)
    assert code == 0 and "added 5" in out
    assert f"another rag index is writing {settings.index_dir}; waiting…" in err
    assert_consistent(settings)
    assert_answers_fdi(settings)


def test_second_writer_times_out(cli, built, settings, monkeypatch):
    """While another process holds the index lock past the timeout, rag index exits 2 with one message."""
    monkeypatch.setenv("RAG_INDEX_LOCK_TIMEOUT", "0.3")
    (settings.corpus_dir / "new.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    with index_lock(settings.index_dir, timeout_s=1):  # a second open file: flock makes it another holder
        code, out, err = cli("index", "-q")
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines == [f"another rag index is writing {settings.index_dir}; waiting…",
                     f"error: another rag index is still writing {settings.index_dir} after 0.3 s; "
                     "try again when it has finished"]
    assert live_generation(settings.index_dir) == built
    assert_answers_fdi(settings)


def test_killed_writer_releases_lock(cli, built, settings):
    """A writer killed (SIGKILL) after its switch leaves the lock free; the next run cleans its leftovers."""
    writer = start_writer(settings, delay=60)
    wait_for(lambda: live_generation(settings.index_dir) != built)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    assert built.exists()  # its cleanup never ran
    code, out, err = cli("index", "-q")
    assert code == 0 and "waiting" not in err and "already up to date" in out
    assert not built.exists()
    assert_consistent(settings)
    assert_answers_fdi(settings)


def test_readers_never_torn_while_writers_switch(settings, fake):
    """Reading in a loop while another process rebuilds three times: every read is one whole generation."""
    RAG(settings, embedder=fake).index()
    generations = {live_generation(settings.index_dir)}
    remaining, writer = 3, start_writer(settings)
    while remaining:
        data = read_index(settings.index_dir, settings)
        assert len(data.chunks) == len(data.dense) == len(data.lexical) == data.manifest["counts"]["chunks"]
        generations.add(live_generation(settings.index_dir))
        if writer.poll() is not None:
            assert finish(writer)[0] == 0
            remaining -= 1
            writer = start_writer(settings) if remaining else None
    generations.add(live_generation(settings.index_dir))
    assert len(generations) == 4  # the reads spanned every switch
    assert_consistent(settings)


def test_a_generation_removed_while_it_is_checked_is_read_again_from_the_new_one(cli, built, settings, monkeypatch):
    """The race the loop above can hit under load: a reader has seen a file of the live generation
    exist, then a writer switches and removes that generation before the reader hashes the file. The
    read goes on from the new generation instead of failing with FileNotFoundError."""
    new = settings.index_dir / f"{built.name}-next"  # the writer's new generation (the same content)
    shutil.copytree(built, new)
    hash_file = store.fingerprint

    def removed_before_hashing(path: Path) -> dict:
        if built in path.parents:
            path.unlink()  # what the writer's remove_stale does between the reader's two looks
        return hash_file(path)

    monkeypatch.setattr(store, "fingerprint", removed_before_hashing)
    monkeypatch.setattr(store, "live_generation", lambda index_dir, calls=iter([built]): next(calls, new))
    data = read_index(settings.index_dir, settings)
    assert data.folder == new
    assert len(data.chunks) == len(data.dense) == data.manifest["counts"]["chunks"]


def test_crash_leftovers_are_cleaned_and_reported(cli, built, settings):
    """CURRENT.tmp and a partial gen-* left by a crash are removed at the next run and named in its summary."""
    (settings.index_dir / "CURRENT.tmp").write_text("gen-20000101-000000-1-1")
    partial = settings.index_dir / "gen-20000101-000000-1-1"
    partial.mkdir()
    (partial / "chunks.jsonl").write_text('{"id": "000:0", "tex')
    code, out, _ = cli("index", "-q")
    assert code == 0
    assert "removed crash leftovers: CURRENT.tmp, gen-20000101-000000-1-1 (incomplete)" in out
    assert "already up to date" in out and live_generation(settings.index_dir) == built
    assert_consistent(settings)
    assert_answers_fdi(settings)


# ------------------------------------------------------- self-checking index
def test_dense_faiss_deleted(cli, built, settings, fake):
    """dense.faiss (where the vectors are stored, once) deleted: status and ask name it; index re-embeds."""
    chunks = len(store.read_chunks(built))
    (built / "dense.faiss").unlink()
    embedded = fake.passages_embedded
    out = assert_damage_reported_and_repaired(
        cli, settings, "dense.faiss missing", "every article re-chunked and re-embedded (dense.faiss missing)")
    assert f"{chunks} chunks embedded" in out and fake.passages_embedded - embedded == chunks


def test_dense_faiss_bytes_flipped(cli, built, settings):
    """dense.faiss changed in place (same size): status catches it by sha256; index re-embeds."""
    path = built / "dense.faiss"
    raw = bytearray(path.read_bytes())
    raw[-4:] = b"\x00\x00\x80\x7f"  # the last float becomes +inf
    path.write_bytes(bytes(raw))
    code, out, _ = cli("status")
    assert code == 2 and "damaged: dense.faiss: content differs from its sha256 in the manifest" in out
    code, _, err = cli("ask", "--mode", "extractive", FDI)  # ask refuses it too, not only status
    assert code == 2
    assert_one_line_error(err, "index damaged (", "dense.faiss: content differs", "run rag index to repair")
    code, out, _ = cli("index", "-q")
    assert code == 0 and "repaired: every article re-chunked and re-embedded (dense.faiss: content differs" in out
    assert_consistent(settings)
    assert np.isfinite(read_index(settings.index_dir, settings).dense.vectors()).all()
    assert_answers_fdi(settings)


def test_lexical_index_truncated(cli, built, settings, fake):
    """A file of the bm25s lexical index cut in half: reported with both sizes; rebuilt from tokens.jsonl
    without embedding or re-tokenising."""
    path = built / "lexical" / "data.csc.index.npy"
    size = path.stat().st_size
    path.write_bytes(path.read_bytes()[: size // 2])
    problem = f"lexical/data.csc.index.npy: size {size // 2}, manifest says {size}"
    embedded = fake.passages_embedded
    out = assert_damage_reported_and_repaired(cli, settings, problem, f"lexical index rebuilt from tokens.jsonl ({problem})")
    assert "0 chunks embedded" in out and fake.passages_embedded == embedded


def test_accent_table_deleted(cli, built, settings, fake):
    """restorer.sqlite deleted: rebuilt from the stored chunks without embedding; unaccented questions work again."""
    (built / "restorer.sqlite").unlink()
    out = assert_damage_reported_and_repaired(
        cli, settings, "restorer.sqlite missing", "accent table rebuilt from chunks.jsonl (restorer.sqlite missing)")
    assert "0 chunks embedded" in out
    assert "28 dự án" in RAG(settings, embedder=fake).ask("lang son co bao nhieu du an fdi", mode="extractive").answer


def test_chunks_jsonl_truncated(cli, built, settings):
    """chunks.jsonl truncated: reported with both sizes; index re-chunks and re-embeds every article."""
    path = built / "chunks.jsonl"
    size = path.stat().st_size
    path.write_bytes(path.read_bytes()[:123])
    problem = f"chunks.jsonl: size 123, manifest says {size}"
    out = assert_damage_reported_and_repaired(
        cli, settings, problem, f"every article re-chunked and re-embedded ({problem})")
    assert "unchanged 5 articles" in out


def test_a_figure_edited_in_chunks_jsonl_is_refused_not_served(cli, built, settings):
    """chunks.jsonl edited in place, same size (28 -> 35 in the FDI sentence): ask refuses it naming the
    file and the repair, instead of answering 35; index repairs it."""
    path = built / "chunks.jsonl"
    text = path.read_text(encoding="utf-8")
    assert "hiện có 28 dự án" in text
    path.write_text(text.replace("hiện có 28 dự án", "hiện có 35 dự án"), encoding="utf-8")
    assert_damage_reported_and_repaired(cli, settings, "chunks.jsonl: content differs from its sha256 in the manifest",
                                        "every article re-chunked and re-embedded (chunks.jsonl: content differs")


@pytest.mark.parametrize("garbage", ['{"format": 1, "model": ', "{x\n"])
def test_manifest_json_corrupted(cli, built, settings, garbage):
    """manifest.json not JSON: reported as unreadable; index treats it as no index and rebuilds everything,
    once: the old rows of articles it no longer knows are not kept beside the new ones (it held 172 chunks
    for 86, every hit twice)."""
    before = read_index(settings.index_dir, settings).chunks
    (built / "manifest.json").write_text(garbage)
    out = assert_damage_reported_and_repaired(
        cli, settings, "manifest.json unreadable", "rebuilt everything from the corpus (manifest.json unreadable)")
    assert "added 5" in out and f"{len(before)} chunks in the index" in out
    after = read_index(settings.index_dir, settings).chunks
    assert sorted((c.article_id, c.start) for c in after) == sorted((c.article_id, c.start) for c in before)


def test_current_points_to_missing_generation(cli, built, settings):
    """CURRENT names a generation that is gone: reported; index rebuilds from the corpus."""
    (settings.index_dir / "CURRENT").write_text("gen-19990101-000000-1-1")
    problem = "CURRENT names gen-19990101-000000-1-1, which is missing"
    assert_damage_reported_and_repaired(cli, settings, problem, f"rebuilt everything from the corpus ({problem})")


def test_damaged_index_via_api_raises_domain_error(built, settings):
    """RAG.ask on a zeroed dense.faiss of the right size raises IndexDamaged naming the file: by its sha256
    where the index is small enough to hash at every open, else when FAISS cannot read it."""
    from rag.errors import IndexDamaged

    path = built / "dense.faiss"
    path.write_bytes(b"\0" * path.stat().st_size)
    with pytest.raises(IndexDamaged, match=r"dense.faiss: content differs from its sha256.*run rag index to repair"):
        RAG(settings, embedder=HashEmbedder(), auto_index=False).ask(FDI)
    sizes_only = settings.with_(verify_sha256_bytes=0)
    with pytest.raises(IndexDamaged, match=r"dense.faiss unreadable.*run rag index to repair"):
        RAG(sizes_only, embedder=HashEmbedder(), auto_index=False).ask(FDI)


# --------------------------------------------------------- the environment
@pytest.mark.parametrize("code, reason", [(errno.ENOSPC, "No space left on device"),
                                          (errno.EROFS, "Read-only file system")])
def test_full_disk_during_write_keeps_previous_index(cli, built, settings, monkeypatch, code, reason):
    """The disk refuses the write (fake: faiss's write of the vector file raises): exit 1, one line naming the
    folder, nothing lost."""
    (settings.corpus_dir / "new.txt").write_text(NEW_ARTICLE, encoding="utf-8")

    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(vectors.faiss, "write_index", refuse)
    exit_code, out, err = cli("index", "-q")
    assert exit_code == 1 and out == ""
    assert_one_line_error(err, f"cannot write the index in {settings.index_dir}: {reason}")
    assert live_generation(settings.index_dir) == built
    assert_consistent(settings)
    assert "new" not in read_index(settings.index_dir, settings).articles
    assert_answers_fdi(settings)


@pytest.mark.parametrize("raised", [OSError("2455954 requested and 564192 written"),  # numpy's short write (bm25s)
                                    sqlite3.OperationalError("database or disk is full")])  # the accent table
def test_a_full_disk_without_an_errno_is_one_line_too(tmp_path, raised):
    """A full disk seen by numpy or SQLite (no errno: it was a traceback) -> the same one line, with the space."""
    with pytest.raises(EnvironmentFault) as caught, writing(tmp_path, needed=lambda: 118_000_000):
        raise raised
    assert str(caught.value).startswith(f"cannot write the index in {tmp_path}: No space left on device "
                                        "(the new index needs about 118 MB; ")
    assert str(caught.value).endswith(" free)") and "\n" not in str(caught.value)
    with pytest.raises(sqlite3.OperationalError), writing(tmp_path):  # any other SQLite error is a bug, shown
        raise sqlite3.OperationalError("no such table: accents")


@pytest.fixture
def small_disk(tmp_path) -> Path:
    """A 1,700 kB tmpfs: room for one generation of the seeds' index (about 1.1 MB), not for two."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root); the mapping is tested without one above")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1700k", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_real_full_disk_while_indexing_is_one_line_and_keeps_the_index(settings, fake, monkeypatch, capsys,
                                                                          small_disk):
    """Indexing on a disk that fills up (a real tmpfs, not a faked error): exit 1, one line naming the folder,
    the space the new index needs and the space free; the previous index still answers."""
    monkeypatch.setattr(rag.api, "make_embedder", lambda s: fake)
    index = small_disk / "index"
    args = ["--corpus", str(settings.corpus_dir), "--index", str(index)]
    assert main([*args, "index", "-q"]) == 0
    built = live_generation(index)
    capsys.readouterr()
    (settings.corpus_dir / "new.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    assert main([*args, "index", "-q"]) == 1
    err = capsys.readouterr().err
    assert_one_line_error(err, f"cannot write the index in {index}: No space left on device (the new index needs about ",
                          " MB free)")
    assert live_generation(index) == built and sorted(index.glob("gen-*")) == [built]
    assert_answers_fdi(settings.with_(index_dir=index))


def test_full_disk_at_the_switch_leaves_no_current_tmp(cli, built, settings, monkeypatch):
    """ENOSPC at the CURRENT switch (fake os.replace): exit 1, no CURRENT.tmp or partial generation left."""
    (settings.corpus_dir / "new.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    real_replace = os.replace

    def refuse(src, dst, *args, **kwargs):
        if Path(dst).name == "CURRENT":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(store.os, "replace", refuse)
    code, _, err = cli("index", "-q")
    assert code == 1
    assert_one_line_error(err, f"cannot write the index in {settings.index_dir}: No space left on device")
    monkeypatch.undo()
    assert live_generation(settings.index_dir) == built
    assert_consistent(settings)
    assert_answers_fdi(settings)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions; the disk-fault tests fake EROFS")
def test_read_only_index_folder(cli, built, settings):
    """A read-only index folder (chmod 555): exit 1 with one line naming it; the index still answers."""
    (settings.corpus_dir / "new.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    settings.index_dir.chmod(0o555)
    try:
        code, _, err = cli("index", "-q")
        assert code == 1
        assert_one_line_error(err, f"cannot write the index in {settings.index_dir}: Permission denied")
        assert_answers_fdi(settings)
    finally:
        settings.index_dir.chmod(0o755)
    assert_consistent(settings)
