"""``RayEngine`` (rag/index/ray.py) gives what ``LocalEngine`` gives: the same
articles and skips, the same chunks, tokens and vectors, the same index; and
an update re-embeds only what changed. Needs the [scale] extra (skipped
without Ray). One Ray session for the module, started and stopped by the
engine the tests hold."""

from __future__ import annotations

import shutil
import sys

import pytest
from conftest import require_extra

require_extra("ray", "ray.data")

import numpy as np  # noqa: E402
import ray  # noqa: E402
from conftest import HashEmbedder  # noqa: E402
from ray import cloudpickle  # noqa: E402

from rag.api import RAG  # noqa: E402
from rag.errors import IndexMismatch  # noqa: E402
from rag.evaluate.questions import answer_correct  # noqa: E402
from rag.index.chunking import chunk_article  # noqa: E402
from rag.index.files.repair import rows, salvage  # noqa: E402
from rag.index.indexer import LocalEngine, update_index  # noqa: E402
from rag.index.ray import LOCAL_START_TRIES, MISSING, RayEngine, embedder_factory  # noqa: E402
from rag.serve import cli  # noqa: E402

ARCHIVE_FILES = 20
FDI = "Lạng Sơn có bao nhiêu dự án FDI?"
FDI_ARTICLE = "000_bf7702f0972e1e9e"


@pytest.fixture(scope="module")
def engine():
    """One engine held for the module: it starts Ray (2 CPUs) and stops it at the end."""
    conftest = sys.modules[HashEmbedder.__module__]
    cloudpickle.register_pickle_by_value(conftest)  # workers cannot import tests/conftest.py
    started_here = not ray.is_initialized()
    with RayEngine(num_cpus=2) as held:
        with held._ray():  # started now, kept while held
            pass
        yield held
        assert ray.is_initialized()  # kept across the tests' updates
    if started_here:
        assert not ray.is_initialized(), "the engine started Ray, so it must stop it"
    cloudpickle.unregister_pickle_by_value(conftest)


@pytest.fixture
def sample(settings, tmp_path, request):
    """The five seed articles, ~20 archive files when the dev archive is there,
    and one file for each rule of corpus.py: a symlink, a file over the size
    cap, a binary file, a non-text file, an exact copy, a repeated id."""
    archive = tmp_path / "archive"
    archive.mkdir()
    try:
        source = request.getfixturevalue("archive_dir")
    except pytest.skip.Exception:
        source = None
    if source is not None:
        for path in sorted(p for p in source.iterdir() if p.suffix == ".txt")[:ARCHIVE_FILES]:
            shutil.copy(path, archive / path.name)
    corpus = settings.corpus_dir
    seed = corpus / f"{FDI_ARTICLE}.txt"
    shutil.copy(seed, archive / "copy-of-the-fdi-article.txt")  # exact duplicate
    shutil.copy(corpus / "001_dd2bdff73f5fbbed.txt", archive / "001_dd2bdff73f5fbbed.txt")  # id seen twice
    (archive / "big.txt").write_text("Lạng Sơn. " * 30_000, encoding="utf-8")  # ~300 KB
    (archive / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (archive / "scan.pdf").write_bytes(b"%PDF-1.4")
    (archive / "link.txt").symlink_to(seed)
    return settings.with_(archives=(archive,), max_file_bytes=200_000, backend="faiss")


def _edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


def _live(settings) -> dict:
    """chunk id -> (chunk, tokens, vector) of the live index."""
    found = rows(settings.index_dir, settings, salvage(settings.index_dir, settings))
    assert found.chunks, "no index rows"
    return {c.id: (c, t, v) for c, t, v in zip(found.chunks, found.tokens, found.vectors)}


def test_ray_engine_gives_the_local_engine_articles_chunks_tokens_and_vectors(engine, sample, fake, tmp_path):
    local_settings, ray_settings = sample.with_(index_dir=tmp_path / "local"), sample.with_(index_dir=tmp_path / "ray")
    local = LocalEngine().load(local_settings, rebuild=True)
    built = engine.load(ray_settings, rebuild=True)
    assert len(local.articles) >= 5 and built.articles == local.articles
    assert built.skipped == local.skipped
    reasons = " ".join(s.reason for s in built.skipped)
    for reason in ("symlink", "larger than", "not a text article", "duplicate of", "duplicate article id"):
        assert reason in reasons
    assert len(built.skipped) >= 6

    expected = LocalEngine().chunk_and_embed(local.articles, local_settings, HashEmbedder, False)
    got = engine.chunk_and_embed(built.articles, ray_settings, embedder_factory(ray_settings, fake), False)
    assert len(got.chunks) == len(expected.chunks) > len(local.articles)
    assert got.chunks == expected.chunks  # same order: article order, then chunk order
    assert got.tokens == expected.tokens
    assert got.vectors.dtype == np.float32 and got.vectors.shape == (len(got.chunks), sample.dim)
    assert np.array_equal(got.vectors, expected.vectors)

    # the ingest cache is shared with LocalEngine's rules: a second load decodes nothing on Ray,
    # a touched file only that file
    handed: list[int] = []
    build_many = engine.build_many
    engine.build_many = lambda jobs: handed.append(len(jobs)) or build_many(jobs)
    try:
        assert engine.load(ray_settings, rebuild=False) == built
        assert handed == []
        _edit(sample.corpus_dir / "002_e21b414bd808bfac.txt", "được triển khai", "được triển khai sớm")
        again = engine.load(ray_settings, rebuild=False)
        assert handed == [1] and again != built
        assert again == LocalEngine().load(local_settings, rebuild=False)
    finally:
        del engine.build_many


def test_index_built_with_ray_answers_and_updates_incrementally(engine, sample, fake, tmp_path):
    rag = RAG(sample, embedder=fake)
    first = rag.index(engine=engine)  # the API path: workers get a copy of the given embedder
    assert first.wrote and len(first.added) >= 5 and first.embedded == first.chunks

    answer = rag.ask(FDI)
    assert answer.answerable and answer_correct(answer.answer, [28, 228], [])
    assert [c.article_id for c in answer.citations] == [FDI_ARTICLE]

    # the same index as a local build
    local = sample.with_(index_dir=tmp_path / "local-index")
    assert update_index(local, HashEmbedder, engine=LocalEngine()).chunks == first.chunks
    live = _live(sample)
    assert live.keys() == _live(local).keys()

    # one article changed: only its chunks are chunked and embedded
    _edit(sample.corpus_dir / "003_230b29e6c2dd1faa.txt", "Tập trung phát triển hạ tầng du lịch",
          "Tỉnh khánh thành thêm một cây cầu mới. Tập trung phát triển hạ tầng du lịch")
    seen: list[list[str]] = []
    chunk_and_embed = engine.chunk_and_embed
    engine.chunk_and_embed = lambda articles, *a: seen.append([x.id for x in articles]) or chunk_and_embed(articles, *a)
    try:
        second = update_index(sample, embedder_factory(sample, fake), engine=engine)
    finally:
        del engine.chunk_and_embed
    assert seen == [["003_230b29e6c2dd1faa"]]
    assert second.changed == ("003_230b29e6c2dd1faa",) and not second.added and not second.removed
    changed = next(a for a in engine.load(sample, rebuild=False).articles if a.id == "003_230b29e6c2dd1faa")
    assert second.embedded == len(chunk_article(changed, sample.chunk_chars, sample.overlap_sentences))
    assert 0 < second.embedded < second.chunks

    update_index(local, HashEmbedder, engine=LocalEngine())
    after, expected = _live(sample), _live(local)
    assert after.keys() == expected.keys()
    for chunk_id, (chunk, tokens, vector) in expected.items():
        assert after[chunk_id][:2] == (chunk, tokens)
        assert np.array_equal(after[chunk_id][2], vector)
    unchanged = [k for k in live if not k.startswith("003_")]
    assert all(np.array_equal(live[k][2], after[k][2]) for k in unchanged)  # reused, not re-embedded
    assert any("cây cầu mới." in c.text for c, _, _ in after.values())

    third = update_index(sample, embedder_factory(sample, fake), engine=engine)
    assert not third.wrote and third.embedded == 0


def test_embedder_errors_on_workers_come_back_as_library_errors(engine, sample, fake):
    wrong = HashEmbedder()
    wrong.dim = 8
    articles = LocalEngine().load(sample, rebuild=False).articles[:2]
    with pytest.raises(IndexMismatch, match="8-dim"):
        engine.chunk_and_embed(articles, sample, embedder_factory(sample, wrong), False)
    empty = engine.chunk_and_embed([], sample, embedder_factory(sample, wrong), False)
    assert empty.chunks == [] and empty.vectors.shape == (0, sample.dim)


def test_cli_index_ray(engine, sample, fake, monkeypatch, capsys):
    def given_fake(settings, given=None):  # the CLI's RAG has no embedder: workers would load the real model
        return embedder_factory(settings, fake)

    monkeypatch.setattr("rag.index.ray.embedder_factory", given_fake)
    args = ["--corpus", str(sample.corpus_dir), "--index", str(sample.index_dir),
            "--archive", str(sample.archives[0]), "index", "--ray", "-q"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "added " in out and "chunks embedded" in out
    assert ray.is_initialized()  # a session the CLI did not start is left running


def test_cli_index_ray_without_the_extra(settings, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    code = cli.main(["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir), "index", "--ray"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == f"error: {MISSING}" and "\n" not in err.strip()
    assert MISSING == "rag index --ray needs the [scale] extra: pip install -e '.[scale]'"
    assert not settings.index_dir.exists()


def test_rag_index_without_engine_is_unchanged(settings, fake):
    report = RAG(settings, embedder=fake).index()
    assert report.wrote and fake.passages_embedded == report.embedded  # embedded here, by the given object


class SlowToStartRay:
    """Stands in for ``ray`` (slow to start for real): its first ``fail`` starts time out."""

    def __init__(self, fail: int):
        self.fail, self.calls = fail, []

    def init(self, **kwargs):
        self.calls.append("init")
        if self.calls.count("init") <= self.fail:
            raise Exception("The current node timed out during startup.")

    def shutdown(self):
        self.calls.append("shutdown")


def test_a_local_ray_that_times_out_starting_is_started_again():
    flaky, held = SlowToStartRay(fail=1), RayEngine(num_cpus=2)
    held._start(flaky)
    assert flaky.calls == ["init", "shutdown", "init"] and held._started
    never, other = SlowToStartRay(fail=LOCAL_START_TRIES), RayEngine(num_cpus=2)
    with pytest.raises(Exception, match="timed out during startup"):
        other._start(never)
    assert never.calls.count("init") == LOCAL_START_TRIES and not other._started
