"""The Milvus backend (Milvus Lite) against the files backend: same hits,
same answers, same filters; incremental updates, rebuilds, repairs, the CLI.
Skipped without the [scale] extra. One pair of indexes is built per module
(Milvus Lite starts in about a second per database file)."""

import errno
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import require_extra

require_extra("pymilvus", "milvus_lite")

from conftest import CORPUS, MODEL_CACHE, HashEmbedder  # noqa: E402

import rag.api  # noqa: E402
from rag.api import RAG  # noqa: E402
from rag.errors import EnvironmentFault, IndexDamaged, IndexMismatch  # noqa: E402
from rag.evaluate.questions import answer_correct  # noqa: E402
from rag.filters import Filters  # noqa: E402
from rag.index import milvus as milvus_backend  # noqa: E402
from rag.index.indexer import update_index  # noqa: E402
from rag.index.lexical import tokenize  # noqa: E402
from rag.index.milvus import MilvusSearch, filter_expression  # noqa: E402
from rag.serve.cli import main  # noqa: E402
from rag.settings import Settings  # noqa: E402

ART_000 = "000_bf7702f0972e1e9e"
ART_004 = "004_9294ea0d03f08fb7"
FDI_000 = "28 dự án có vốn đầu tư nước ngoài"
QUESTIONS = [
    "Lạng Sơn có bao nhiêu dự án FDI?",
    "lang son co bao nhieu du an fdi",
    "Lào Cai có bao nhiêu dự án FDI?",
    "Lạng Sơn và Lào Cai có bao nhiêu dự án FDI?",
    "Hợp tác với khu tự trị dân tộc Choang Quảng Tây",
    "Cao Bằng phát triển kinh tế đối ngoại như thế nào?",
    "Kim ngạch xuất nhập khẩu qua Lạng Sơn năm 2015 đạt bao nhiêu?",
    "Giám đốc Sở Ngoại vụ là ai?",
]
FILTERS = [
    dict(province="Lạng Sơn"),
    dict(province="lao cai"),
    dict(date_from="2020-01-01", date_to="2020-12-31"),
    dict(date_from="2020-01-01", include_undated=False),
    dict(date_to="2019-12-31"),
    dict(origins=("corpus",)),
    dict(origins=("upload", "archive")),
    dict(province="Cao Bằng", date_from="2020-11-29", date_to="2020-11-29", include_undated=False),
]


def fake_model(monkeypatch, fake) -> None:
    """The CLI builds its RAG with the real model: the fake replaces it (the slow part)."""
    name = "make_embedder" if hasattr(rag.api, "make_embedder") else "E5Embedder"
    monkeypatch.setattr(rag.api, name, lambda s: fake)


def milvus(settings: Settings, index_dir: Path | None = None) -> Settings:
    return settings.with_(backend="milvus", index_dir=index_dir or settings.index_dir)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """The seed corpus indexed by both backends with the fake embedder: {backend: RAG}."""
    base = tmp_path_factory.mktemp("pair")
    shutil.copytree(CORPUS, base / "corpus")
    s = Settings(corpus_dir=base / "corpus", index_dir=base / "faiss", cache_dir=MODEL_CACHE, backend="faiss")
    fake = HashEmbedder()
    rags = {"faiss": RAG(s, embedder=fake), "milvus": RAG(milvus(s, base / "milvus"), embedder=fake)}
    for r in rags.values():
        assert r.index().wrote
    return rags


@pytest.fixture(params=["faiss", "milvus"])
def both(request, pair) -> RAG:
    return pair[request.param]


def same_hits(a, b) -> None:
    assert [h.chunk.id for h in a] == [h.chunk.id for h in b]
    for x, y in zip(a, b):
        assert x.rank == y.rank and x.article == y.article and x.chunk == y.chunk
        assert abs(x.score - y.score) < 1e-4 and abs(x.dense - y.dense) < 1e-4 and abs(x.lexical - y.lexical) < 1e-4


# ------------------------------------------------------------ answers
def test_fdi_question_cites_lang_son_on_both_backends(both):
    for question in ["Lạng Sơn có bao nhiêu dự án FDI?", "lang son co bao nhieu du an fdi"]:
        a = both.ask(question, mode="extractive")
        assert a.answerable and answer_correct(a.answer, [28, 228], []), question
        assert [c.article_id for c in a.citations] == [ART_000]
        c = a.citations[0]
        assert FDI_000 in c.sentence
        assert both.load().backend.articles[c.article_id].text[c.start : c.end] == c.sentence


def test_unanswerable_and_comparison_on_both_backends(both):
    assert not both.ask("Dân số Lạng Sơn là bao nhiêu?", mode="extractive").answerable
    a = both.ask("Lạng Sơn và Lào Cai có bao nhiêu dự án FDI?", mode="extractive")
    assert a.answerable and answer_correct(a.answer, [28, 20], [])
    assert {c.province for c in a.citations} == {"Lạng Sơn", "Lào Cai"}


def test_hit_lists_are_identical_between_backends(pair):
    for question in QUESTIONS:
        (fa, fh), (ma, mh) = (pair[b].ask_with_hits(question, k=8) for b in ("faiss", "milvus"))
        assert fh, question
        same_hits(fh, mh)
        assert (fa.answer, [c.chunk_id for c in fa.citations]) == (ma.answer, [c.chunk_id for c in ma.citations])
    for fusion in ("rrf", "weighted"):
        same_hits(*(pair[b].ask_with_hits(QUESTIONS[0], fusion=fusion)[1] for b in ("faiss", "milvus")))


def test_filters_give_the_same_hits_on_both_backends(pair):
    articles = pair["faiss"].load().backend.articles
    for options in FILTERS:
        filters = Filters.parse(**options)
        hits = {b: pair[b].ask_with_hits("có bao nhiêu dự án FDI?", k=8, **options)[1] for b in pair}
        same_hits(hits["faiss"], hits["milvus"])
        assert all(filters.allows(articles[h.chunk.article_id]) for h in hits["milvus"]), options
    assert pair["milvus"].ask_with_hits("dự án FDI", origins=("upload",))[1] == []


def test_filter_expression_selects_exactly_what_allows_allows(pair):
    backend = pair["milvus"].load().backend
    held = {a for a in backend.articles if backend.chunk_counts()[a]}
    injected = Filters(province='Lạng Sơn" or province != "x')
    quoted = Filters(province='a\\" or "\n', date_from='2020" or date != "', origins=('corpus"]', "x\\"))
    for filters in [Filters(), injected, quoted, *(Filters.parse(**f) for f in FILTERS)]:
        rows = backend.client.query(backend.name, filter=filter_expression(filters), output_fields=["article_id"],
                                    limit=1000)
        assert {r["article_id"] for r in rows} == {a for a in held if filters.allows(backend.articles[a])}, filters
    assert filter_expression(Filters()) == ""
    assert filter_expression(Filters(include_undated=False)) == 'date != ""'


def test_lexical_and_dense_scores_match_the_files_backend(pair):
    local, mv = (pair[b].load().backend for b in ("faiss", "milvus"))
    rows = np.arange(local.count())
    assert [c.id for c in mv.fetch(rows)] == [c.id for c in local.fetch(rows)]  # row ids are the same on a build
    qvec = HashEmbedder().embed_queries(["dự án FDI Lạng Sơn"])[0]
    for text in ["Lạng Sơn có bao nhiêu dự án FDI?", "lang son co bao nhieu du an fdi", "xyzzy", "Quảng Tây"]:
        tokens = tokenize(text)
        (d1, l1), (d2, l2) = local.scores(qvec, tokens, rows), mv.scores(qvec, tokens, rows)
        assert np.allclose(d1, d2, atol=1e-6) and np.allclose(l1, l2, atol=1e-4)
        assert list(local.lexical_search(tokens, 40, Filters())) == list(mv.lexical_search(tokens, 40, Filters()))
        for t in set(tokens):
            assert local.idf(t) == pytest.approx(mv.idf(t), abs=1e-9) if local.idf(t) else mv.idf(t) is None
    assert mv.max_idf() == pytest.approx(local.max_idf())
    assert mv.chunk_counts() == local.chunk_counts() and mv.articles == local.articles
    assert mv.restorer().table.items() == local.restorer().table.items()


def test_status_and_damage(pair):
    status = pair["milvus"].status()
    assert status["damage"] == [] and status["chunks"] == pair["faiss"].status()["chunks"]
    assert status["model"] == Settings().model_id and status["built_at"]


# ------------------------------------------------------------ updates
def test_incremental_update_embeds_only_changed_and_added(settings, fake):
    s = milvus(settings)
    first = update_index(s, lambda: fake)
    assert len(first.added) == 5 and first.wrote and fake.passages_embedded == first.chunks
    again = update_index(s, lambda: pytest.fail("an unchanged corpus must not load the model"))
    assert not again.wrote and len(again.unchanged) == 5
    before = {c.id: r for r, c in zip(range(first.chunks), MilvusSearch.open(s).fetch(range(first.chunks)))}

    p = settings.corpus_dir / f"{ART_004}.txt"
    p.write_text(p.read_text(encoding="utf-8").replace("20 dự án FDI", "21 dự án FDI"), encoding="utf-8")
    (settings.corpus_dir / f"{ART_000}.txt").unlink()
    (settings.corpus_dir / "new.txt").write_text("Tiêu đề bài mới về Hà Giang\n\nHà Giang có 7 dự án FDI.", encoding="utf-8")
    embedded = fake.passages_embedded
    report = update_index(s, lambda: fake)
    assert (report.changed, report.removed, report.added) == ((ART_004,), (ART_000,), ("new",))
    search = MilvusSearch.open(s)
    counts = search.chunk_counts()
    assert fake.passages_embedded - embedded == report.embedded == counts[ART_004] + counts["new"]
    assert set(counts) == set(search.articles) and ART_000 not in search.articles
    assert sum(counts.values()) == report.chunks == search.count()
    rows = search.client.query(search.name, filter="", output_fields=["id", "chunk"], limit=1000)
    now = {r["chunk"]["id"]: r["id"] for r in rows}
    kept = {c: r for c, r in before.items() if c.split(":")[0] not in (ART_000, ART_004)}
    assert kept and all(now[c] == r for c, r in kept.items())  # unchanged chunks keep their row ids
    assert min(r for c, r in now.items() if c.startswith(("new:", ART_004))) >= first.chunks  # new rows past the old

    r = RAG(s, embedder=fake)
    a = r.ask("Hà Giang có bao nhiêu dự án FDI?", mode="extractive")
    assert a.answerable and answer_correct(a.answer, [7], []) and a.citations[0].article_id == "new"
    assert ART_000 not in {c.article_id for c in r.ask("Lạng Sơn có bao nhiêu dự án FDI?").citations}
    assert answer_correct(r.ask("Lào Cai có bao nhiêu dự án FDI?", mode="extractive").answer, [21], [])


def test_a_near_copy_never_displaces_the_indexed_article(settings, fake):
    """As on the files backend: the FDI article's near-copy with 35 for 28, added later, is skipped."""
    s = milvus(settings)
    update_index(s, lambda: fake)
    original = settings.corpus_dir / f"{ART_000}.txt"
    (settings.corpus_dir / "00-edited.txt").write_text(
        original.read_text(encoding="utf-8").replace("hiện có 28", "hiện có 35"), encoding="utf-8")
    report = update_index(s, lambda: fake)
    assert [x.reason for x in report.skipped] == [f"duplicate of {ART_000} (kept: already in the index)"]
    a = RAG(s, embedder=fake, auto_index=False).ask("Lạng Sơn có bao nhiêu dự án FDI?", mode="extractive")
    assert a.short_answer.startswith("28 dự án") and a.citations[0].article_id == ART_000


def test_provenance_change_rewrites_rows_without_embedding(settings, fake, tmp_path):
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "ha_giang.txt").write_text("Tiêu đề bài về Hà Giang\n\nHà Giang có 7 dự án FDI.", encoding="utf-8")
    s = milvus(settings).with_(archives=(archive,))
    update_index(s, lambda: fake)
    r = RAG(s, embedder=fake)
    assert {h.chunk.article_id for h in r.ask_with_hits("Hà Giang dự án", origins=("archive",))[1]} == {"ha_giang"}
    shutil.move(archive / "ha_giang.txt", settings.corpus_dir / "ha_giang.txt")
    report = update_index(s, lambda: pytest.fail("a provenance change must not embed"))
    assert report.wrote and report.embedded == 0
    r = RAG(s, embedder=fake)
    assert r.ask_with_hits("Hà Giang dự án", origins=("archive",))[1] == []
    assert "ha_giang" in {h.chunk.article_id for h in r.ask_with_hits("Hà Giang dự án", origins=("corpus",))[1]}


def test_rebuild_and_other_settings(settings, fake):
    s = milvus(settings)
    first = update_index(s, lambda: fake)
    build = json.loads((s.index_dir / milvus_backend.MANIFEST).read_text())["milvus"]["build"]
    other = s.with_(chunk_chars=300)
    with pytest.raises(IndexMismatch, match="rag index --rebuild"):
        MilvusSearch.open(other)
    with pytest.raises(IndexMismatch):
        update_index(other, lambda: fake)
    with pytest.raises(IndexMismatch, match="BM25"):
        MilvusSearch.open(s.with_(bm25_k1=1.5))
    again = update_index(s, lambda: fake, rebuild=True)
    assert again.wrote and again.embedded == again.chunks == first.chunks
    assert json.loads((s.index_dir / milvus_backend.MANIFEST).read_text())["milvus"]["build"] != build
    assert MilvusSearch.open(s).count() == first.chunks
    assert update_index(other, lambda: fake, rebuild=True).wrote
    assert RAG(other, embedder=fake).ask("Lạng Sơn có bao nhiêu dự án FDI?").answerable


def test_interrupted_update_is_repaired(settings, fake, monkeypatch):
    s = milvus(settings)
    update_index(s, lambda: fake)
    p = settings.corpus_dir / f"{ART_004}.txt"
    p.write_text(p.read_text(encoding="utf-8").replace("20 dự án FDI", "21 dự án FDI"), encoding="utf-8")
    real = milvus_backend.write_atomic

    def full_disk(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(milvus_backend, "write_atomic", full_disk)  # Milvus changed, side files not written
    with pytest.raises(EnvironmentFault, match="cannot write the index"):
        update_index(s, lambda: fake)
    monkeypatch.setattr(milvus_backend, "write_atomic", real)
    with pytest.raises(IndexDamaged, match="rag index"):
        MilvusSearch.open(s)
    assert RAG(s, embedder=fake).status()["damage"]
    report = update_index(s, lambda: fake)
    assert report.changed == (ART_004,) and any("interrupted update" in line for line in report.repairs)
    assert any("recounted" in line for line in report.repairs)
    assert RAG(s, embedder=fake).status()["damage"] == []

    # the repaired index is the one a fresh build gives
    fresh = settings.with_(index_dir=settings.index_dir.parent / "faiss-fresh", backend="faiss")
    update_index(fresh, lambda: fake)
    rf, rm = RAG(fresh, embedder=fake), RAG(s, embedder=fake)
    for question in QUESTIONS[:4]:
        same_hits(rf.ask_with_hits(question)[1], rm.ask_with_hits(question)[1])


def test_lost_side_file_and_collection_are_repaired(settings, fake):
    s = milvus(settings)
    first = update_index(s, lambda: fake)
    (s.index_dir / milvus_backend.RESTORER).unlink()
    assert any(f"{milvus_backend.RESTORER} missing" in d for d in RAG(s, embedder=fake).status()["damage"])
    with pytest.raises(IndexDamaged):
        MilvusSearch.open(s)
    embedded = fake.passages_embedded
    report = update_index(s, lambda: fake)
    assert report.wrote and fake.passages_embedded == embedded and any("accent" in r for r in report.repairs)
    MilvusSearch.open(s).client.drop_collection(s.milvus_collection)
    report = update_index(s, lambda: fake)
    assert report.embedded == first.chunks and any("re-embedded" in r for r in report.repairs)
    assert RAG(s, embedder=fake).ask("Lạng Sơn có bao nhiêu dự án FDI?").answerable


# ---------------------------------------------------------------- CLI
def test_cli_index_ask_status_on_milvus(settings, fake, monkeypatch, capsys):
    fake_model(monkeypatch, fake)
    args = ["--backend", "milvus", "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]
    assert main([*args, "index", "-q"]) == 0
    assert "chunks in the index" in capsys.readouterr().out
    assert (settings.index_dir / "milvus.db").exists() and (settings.index_dir / milvus_backend.MANIFEST).exists()
    assert not (settings.index_dir / "CURRENT").exists()  # nothing of the files backend
    assert main([*args, "ask", "--json", "--mode", "extractive", "Lạng Sơn có bao nhiêu dự án FDI?"]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["answerable"] and line["citations"][0]["article_id"] == ART_000
    assert main([*args, "status"]) == 0
    assert "milvus.db" in capsys.readouterr().out


def test_missing_pymilvus_is_one_line_exit_2(settings, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pymilvus", None)  # import pymilvus -> ImportError
    args = ["--backend", "milvus", "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]
    assert main([*args, "index", "-q"]) == 2
    err = capsys.readouterr().err
    assert err == "error: the milvus backend needs the [scale] extra: pip install -e '.[scale]'\n"


def test_index_option_names_a_server_uri_for_milvus():
    s = Settings(backend="milvus").with_index("http://milvus.example:19530")
    assert s.milvus_uri == "http://milvus.example:19530" and s.index_dir == Path("index")
    assert Settings(backend="milvus").with_index("/tmp/x").index_dir == Path("/tmp/x")
    assert milvus_backend.milvus_uri(Settings(backend="milvus", index_dir=Path("/tmp/x"))) == "/tmp/x/milvus.db"
    assert Settings(backend="faiss").with_index("http://x").index_dir == Path("http://x")


HOLDER = """
import sys, time
from pymilvus import MilvusClient
MilvusClient(sys.argv[1])
print("open", flush=True)
time.sleep(60)
"""


def test_lite_file_held_by_another_process_is_waited_for_then_one_line(settings, capsys, monkeypatch):
    """Another process holds the Lite file: one line says so and the command waits (up to the writer-lock
    timeout, here 1 s), then fails with one line naming the cause."""
    import subprocess

    settings.index_dir.mkdir()
    monkeypatch.setenv("RAG_INDEX_LOCK_TIMEOUT", "1")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(settings.index_dir / "milvus.db")],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        code = main(["--backend", "milvus", "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir),
                     "index", "-q"])
        waiting, error = capsys.readouterr().err.strip().splitlines()
        assert code == 1 and waiting.startswith("another process is using Milvus Lite at ") and "waiting" in waiting
        assert error.startswith("error: cannot open Milvus at ") and "held it for 1 s" in error
    finally:
        holder.kill()
        holder.wait()


RAG_CLI = """
import sys
sys.path.insert(0, sys.argv[1])
import rag.api
from conftest import HashEmbedder
rag.api.make_embedder = lambda s: HashEmbedder()
from rag.serve.cli import main
sys.exit(main(sys.argv[2:]))
"""


def rag_cli(settings, *argv: str, wait: bool = True):
    """``rag --backend milvus ...`` in a process of its own (the fake embedder; Lite is held per process)."""
    import subprocess

    tests = Path(__file__).resolve().parent
    args = [sys.executable, "-c", RAG_CLI, str(tests), "--backend", "milvus", "--corpus", str(settings.corpus_dir),
            "--index", str(settings.index_dir), *argv]
    proc = subprocess.Popen(args, cwd=tests.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if not wait:
        return proc
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err


def test_concurrent_readers_of_one_lite_index_all_answer(settings):
    """Three `rag --backend milvus ask` at once on one index: each answers 28 citing 000 (they took turns:
    Lite serves one process at a time), no traceback; two used to fail with 20-line tracebacks."""
    assert rag_cli(settings, "index", "-q")[0] == 0
    readers = [rag_cli(settings, "ask", "--mode", "extractive", "--json", "Lạng Sơn có bao nhiêu dự án FDI?",
                       wait=False) for _ in range(3)]
    for proc in readers:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        answer = json.loads(out.strip().splitlines()[-1])
        assert answer["short_answer"].startswith("28 dự án") and answer["citations"][0]["article_id"] == ART_000
        assert "Traceback" not in err and all("waiting" in line for line in err.strip().splitlines())


def test_a_damaged_lite_store_is_reported_then_rebuilt(settings):
    """A truncated *.parquet under milvus.db/: ask and status say the index is damaged (one line, exit 2);
    `rag index` rebuilds the store from the corpus and says so; `--rebuild` recovers too (neither did)."""
    assert rag_cli(settings, "index", "-q")[0] == 0
    for rebuild in ((), ("--rebuild",)):
        (parquet,) = (settings.index_dir / "milvus.db").rglob("*.parquet")
        parquet.write_bytes(parquet.read_bytes()[: parquet.stat().st_size // 2])
        code, _, err = rag_cli(settings, "ask", "--mode", "extractive", "Lạng Sơn có bao nhiêu dự án FDI?")
        assert code == 2 and err.startswith("error: index damaged (Milvus Lite store unreadable: ")
        assert err.count("\n") == 1 and "run rag index to repair" in err
        code, out, err = rag_cli(settings, "index", "-q", *rebuild)
        assert code == 0 and "Traceback" not in err and "added 5" in out
        assert rebuild or "repaired: rebuilt everything from the corpus (Milvus Lite store unreadable" in out
        code, out, _ = rag_cli(settings, "ask", "--mode", "extractive", "Lạng Sơn có bao nhiêu dự án FDI?")
        assert code == 0 and out.startswith("28 dự án")
