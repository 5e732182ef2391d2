from rag.index.chunking import chunk_article
from rag.ingest.corpus import load_corpus
from rag.schema import Article
from rag.text.sentences import sentences


def test_chunks_point_exactly_into_the_article(corpus_copy):
    for article in load_corpus(corpus_copy).articles:
        chunks = chunk_article(article, chunk_chars=500, overlap_sentences=1)
        assert chunks
        for c in chunks:
            assert article.text[c.start : c.end] == c.text
            assert len(c.text) <= 500
            assert c.id == f"{article.id}:{c.n}"
        # every sentence is in some chunk
        covered = [(c.start, c.end) for c in chunks]
        for s, e in sentences(article.text):
            assert any(a <= s and e <= b for a, b in covered) or e - s > 500


def test_consecutive_chunks_overlap_by_a_sentence():
    text = " ".join(f"Câu số {i} nói về dự án thứ {i} của tỉnh." for i in range(40))
    chunks = chunk_article(Article(id="x", text=text, title="T"), chunk_chars=200, overlap_sentences=1)
    assert len(chunks) > 3
    for a, b in zip(chunks, chunks[1:]):
        assert b.start < a.end  # overlap


def test_long_sentence_is_cut_at_clause_boundaries():
    text = ", ".join(f"mệnh đề thứ {i} về hợp tác" for i in range(60)) + "."
    chunks = chunk_article(Article(id="x", text=text), chunk_chars=120, overlap_sentences=0)
    assert all(len(c.text) <= 120 for c in chunks)
    assert "".join(c.text for c in chunks).replace(" ", "") == text.replace(" ", "")


def test_sentence_split_keeps_numbers_and_abbreviations():
    text = "Kim ngạch đạt 23.630,9 triệu USD. TP. Hồ Chí Minh tăng 1.200 lao động. Xong!"
    spans = [text[a:b] for a, b in sentences(text)]
    assert spans == ["Kim ngạch đạt 23.630,9 triệu USD.", "TP. Hồ Chí Minh tăng 1.200 lao động.", "Xong!"]
