import json

import numpy as np
import pytest

from rag.api import RAG
from rag.errors import IndexMismatch, IndexMissing
from rag.index.files import vectors
from rag.index.files.store import live_generation, read_index
from rag.index.files.vectors import VectorIndex
from rag.index.indexer import read_skipped, update_index


def test_faiss_matches_brute_force():
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(200, 32)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    q = vecs[7] + 0.1 * rng.normal(size=32).astype(np.float32)
    rows, scores = VectorIndex.build(vecs).search(q, 10)
    brute = np.argsort(-(vecs @ q))[:10]
    assert list(rows) == list(brute)
    assert np.allclose(scores, (vecs @ q)[brute], atol=1e-5)


def test_incremental_index(settings, fake):
    first = update_index(settings, lambda: fake)
    assert len(first.added) == 5 and first.wrote
    embedded = fake.passages_embedded
    assert embedded == first.chunks

    again = update_index(settings, lambda: pytest.fail("an unchanged corpus must not load the model"))
    assert not again.wrote and again.embedded == 0 and len(again.unchanged) == 5

    # change one article, remove another, add a new one
    p = settings.corpus_dir / "004_9294ea0d03f08fb7.txt"
    p.write_text(p.read_text(encoding="utf-8").replace("20 dự án FDI", "21 dự án FDI"), encoding="utf-8")
    (settings.corpus_dir / "000_bf7702f0972e1e9e.txt").unlink()
    (settings.corpus_dir / "new.txt").write_text("Tiêu đề bài mới về Hà Giang\n\nHà Giang có 7 dự án FDI.", encoding="utf-8")
    report = update_index(settings, lambda: fake)
    assert report.changed == ("004_9294ea0d03f08fb7",)
    assert report.removed == ("000_bf7702f0972e1e9e",)
    assert report.added == ("new",)
    data = read_index(settings.index_dir, settings)
    assert {c.article_id for c in data.chunks} == set(data.articles) and "000_bf7702f0972e1e9e" not in data.articles
    assert fake.passages_embedded - embedded == report.embedded
    assert report.embedded == sum(1 for c in data.chunks if c.article_id in ("004_9294ea0d03f08fb7", "new"))
    # the reused vectors are the very same rows
    vectors = data.dense.vectors()
    assert vectors.shape == (len(data.chunks), settings.dim)
    for c, v in zip(data.chunks, vectors):
        assert np.allclose(v, fake.embed_passages([c.for_embedding()])[0], atol=1e-6)


def test_crash_mid_write_keeps_previous_index(settings, fake, monkeypatch):
    update_index(settings, lambda: fake)
    before = live_generation(settings.index_dir)
    (settings.corpus_dir / "new.txt").write_text("Tiêu đề bài mới về Hà Giang\n\nHà Giang có 7 dự án.", encoding="utf-8")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(vectors.faiss, "write_index", boom)  # the disk fails the vector file's write
    with pytest.raises(OSError):
        update_index(settings, lambda: fake)
    assert live_generation(settings.index_dir) == before
    assert len(list(settings.index_dir.glob("gen-*"))) == 1  # the half-written generation is gone
    assert "new" not in read_index(settings.index_dir, settings).articles


def test_index_built_with_other_settings_is_refused(settings, fake):
    update_index(settings, lambda: fake)
    other = settings.with_(chunk_chars=300)
    with pytest.raises(IndexMismatch, match="rag index --rebuild"):
        read_index(settings.index_dir, other)
    with pytest.raises(IndexMismatch):
        update_index(other, lambda: fake)
    assert update_index(other, lambda: fake, rebuild=True).wrote


def test_manifest_describes_the_index(settings, fake):
    update_index(settings, lambda: fake)
    manifest = json.loads((live_generation(settings.index_dir) / "manifest.json").read_text())
    assert manifest["model"] == settings.model_id and manifest["dim"] == 384
    assert manifest["chunker"]["chunk_chars"] == settings.chunk_chars
    assert set(manifest["articles"]) == {p.stem for p in settings.corpus_dir.glob("*.txt")}
    assert manifest["built_at"]


def test_missing_index_is_explained_or_built(settings, fake):
    with pytest.raises(IndexMissing, match="rag index"):
        RAG(settings, embedder=fake, auto_index=False).ask("Lạng Sơn có bao nhiêu dự án FDI?")
    answer = RAG(settings, embedder=fake).ask("Lạng Sơn có bao nhiêu dự án FDI?")
    assert live_generation(settings.index_dir) is not None
    assert answer.citations and answer.citations[0].article_id.startswith("000")


def test_skipped_files_are_counted_by_reason_and_listed_in_the_index_folder(settings, fake):
    (settings.corpus_dir / "broken.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    (settings.corpus_dir / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    report = update_index(settings, lambda: fake)
    summary = report.summary()
    assert "skipped 2 files" in summary and "1 not a text article" in summary
    assert (settings.index_dir / "skipped.tsv").read_text(encoding="utf-8").startswith("file\treason\n")
    assert sorted(f.rsplit("/", 1)[-1] for f, _ in read_skipped(settings.index_dir)) == ["broken.txt", "photo.jpg"]
    (settings.corpus_dir / "broken.txt").unlink()
    (settings.corpus_dir / "photo.jpg").unlink()
    update_index(settings, lambda: fake)
    assert not (settings.index_dir / "skipped.tsv").exists()  # nothing skipped now: no stale list


def test_skipped_file_names_with_tabs_line_breaks_and_quotes_keep_their_reasons(settings, fake):
    odd = ['tab\there.txt', 'line\nbreak.txt', 'say "hi".txt']
    for name in odd:
        (settings.corpus_dir / name).write_bytes(b"\x00\x01\x02\xff" * 100)  # binary: skipped
    (settings.corpus_dir / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    update_index(settings, lambda: fake)
    rows = {f.rsplit("/", 1)[-1]: reason for f, reason in read_skipped(settings.index_dir)}
    assert sorted(rows) == sorted([*odd, "photo.jpg"])
    assert len({rows[name] for name in odd}) == 1 and rows["photo.jpg"] != rows[odd[0]]
