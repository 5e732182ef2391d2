import codecs

import pytest

from rag.corpus import load_corpus
from rag.ingest import Undecodable, build_article, clean, decode

SAMPLE = "Xin chào Lạng Sơn, kim ngạch đạt 1.200 tỷ đồng."


def to_cp1258(text: str) -> bytes:
    """Legacy Windows Vietnamese: precomposed base letters, combining tone marks."""
    import unicodedata

    out = b""
    for ch in text:
        d = unicodedata.normalize("NFD", ch)
        for cut in (len(d), 2, 1):
            try:
                out += (unicodedata.normalize("NFC", d[:cut]) + d[cut:]).encode("cp1258")
                break
            except UnicodeEncodeError:
                continue
    return out


@pytest.mark.parametrize(
    "data",
    [
        SAMPLE.encode("utf-8"),
        codecs.BOM_UTF8 + SAMPLE.encode("utf-8"),
        SAMPLE.encode("utf-16"),
        SAMPLE.encode("utf-16-le"),
        to_cp1258(SAMPLE),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf16le-no-bom", "cp1258"],
)
def test_decode_encodings(data):
    import unicodedata

    text, _ = decode(data)
    assert unicodedata.normalize("NFC", text) == SAMPLE


def test_binary_is_refused():
    with pytest.raises(Undecodable):
        decode(bytes(range(256)) * 10)


def test_clean_removes_chrome_duplicates_and_related_block():
    raw = "\n".join([
        "Cổng thông tin điện tử tỉnh Lạng Sơn",
        "A- A A+ | Tăng tương phản Giảm tương phản",
        "Tiêu đề bài viết về hợp tác quốc tế",
        "Chủ nhật 29/11/2020 06:00",
        "(LSO) – Đoạn mở đầu có 120\u00a0chương trình.",
        "Đoạn mở đầu có 120 chương trình.",
        "Đoạn thứ hai – kinh tế - xã hội.",
        "Đoạn thứ hai - kinh tế – xã hội.",
        "Bảo Vy",
        "Tin Liên Quan",
        "Một tin khác không liên quan.",
    ])
    text, found = clean(raw)
    assert text == "Đoạn mở đầu có 120 chương trình.\n\nĐoạn thứ hai – kinh tế - xã hội."
    assert found.title == "Tiêu đề bài viết về hợp tác quốc tế"
    assert found.date == "2020-11-29"
    assert found.author == "Bảo Vy"
    assert found.outlet == "Cổng thông tin điện tử tỉnh Lạng Sơn"


def test_masthead_date_above_headline_is_not_a_publication_date():
    _, found = clean("Chủ nhật, 09/05/2021\n\nMột tiêu đề khá dài ở đây\n\nNội dung bài viết.")
    assert found.date == ""


def test_real_seed_articles(corpus_copy):
    corpus = load_corpus(corpus_copy)
    by_id = {a.id: a for a in corpus.articles}
    assert len(by_id) == 5 and not corpus.skipped
    lao_cai = by_id["004_9294ea0d03f08fb7"]
    assert "Tin Liên Quan" not in lao_cai.text and "khởi nghiệp" not in lao_cai.text
    assert "FormShield" not in by_id["003_230b29e6c2dd1faa"].text
    lead = "Nằm trên dải đất biên cương phía Bắc"
    assert by_id["001_dd2bdff73f5fbbed"].text.count(lead) == 1
    assert all("\u00a0" not in a.text for a in corpus.articles)


def test_province_inferred_when_metadata_lacks_it(corpus_copy):
    data = (corpus_copy / "003_230b29e6c2dd1faa.txt").read_bytes()
    article = build_article("003", data, meta=None)
    assert article.province == "Cao Bằng"
    assert article.date == "2020-11-29"


def test_binary_file_in_corpus_is_skipped_and_named(corpus_copy):
    (corpus_copy / "broken.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    (corpus_copy / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    corpus = load_corpus(corpus_copy)
    assert len(corpus.articles) == 5
    assert {s.file for s in corpus.skipped} == {"broken.txt", "photo.jpg"}
