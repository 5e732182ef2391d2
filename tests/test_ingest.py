import codecs
import re
from pathlib import Path

import pytest

from rag.ingest.clean import Undecodable, build_article, clean, decode
from rag.ingest.corpus import load_corpus

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
    assert {Path(s.file).name for s in corpus.skipped} == {"broken.txt", "photo.jpg"}


def test_headline_sentence_and_single_paragraph_openings_keep_their_text():
    headline = "Thế giới đèn\nTrên 1.000 sản phẩm đèn được phân phối...\nPhòng khách thường bài trí đèn chùm."
    text, found = clean(headline)
    assert found.title == "Thế giới đèn" and text.startswith("Trên 1.000 sản phẩm")
    sentence = "Những chiếc pin mặt trời giá rẻ sẽ được bán ra sau 5 năm nữa. Đó là thông báo mới.\nĐoạn hai."
    text, found = clean(sentence)
    assert found.title == "" and text.startswith("Những chiếc pin mặt trời")
    one = "Hứa hẹn nhiều hấp dẫn Người mẫu H.Klum trong lễ bốc thăm World Cup 2006 diễn ra rạng sáng nay (10-12)."
    text, found = clean(one)
    assert text == one and found.title == ""


def test_repeated_short_lines_such_as_table_cells_are_kept():
    text, _ = clean("Bảng xếp hạng các đội\nĐội\nĐiểm\nHà Lan\n3\nĐội\nĐiểm\nÚc\n1")
    assert text.count("Đội") == 2 and text.count("Điểm") == 2


_W = re.compile(r"\w+")


def test_dev_archive_keeps_every_article_and_its_words(archive_dir):
    """>= 99.5 % of files with >= 200 characters become articles, and each keeps
    >= 95 % of its file's words, a repeated paragraph (such as a lead printed twice) counted once."""
    from rag.text.vietnamese import fold, normalize_text

    corpus = load_corpus(archive_dir)
    files = [p for p in sorted(archive_dir.iterdir()) if p.suffix == ".txt"]
    raw = {p.stem: decode(p.read_bytes())[0] for p in files}
    eligible = {k for k, t in raw.items() if len(t.strip()) >= 200}
    by_id = {a.id: a for a in corpus.articles}
    assert len(eligible & set(by_id)) >= 0.995 * len(eligible), corpus.skipped[:5]
    short = []
    for aid, article in by_id.items():
        # a paragraph repeated with other punctuation or spacing counts once
        paragraphs = {re.sub(r"\W+", "", fold(line)): line for line in normalize_text(raw[aid]).split("\n")}
        total = sum(len(_W.findall(p)) for p in paragraphs.values())
        kept = len(_W.findall(" ".join((article.title, article.text, article.author))))
        if kept < 0.95 * total:
            short.append((aid, kept, total))
    assert not short, short[:5]
