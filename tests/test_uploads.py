import json

import pytest

from rag.ingest.corpus import load_corpus
from rag.ingest.uploads import UploadRefused, add_article, delete_article, html_to_text, parse_date

ARTICLE = ("Hà Giang đẩy mạnh thu hút đầu tư\n\nNăm 2025, tỉnh Hà Giang có 7 dự án có vốn đầu tư nước ngoài "
           "còn hiệu lực với tổng vốn đăng ký 35 triệu USD.\n")


def test_upload_saved_under_generated_name_not_the_uploaded_path(corpus_copy, tmp_path):
    existing = load_corpus(corpus_copy).articles
    added = add_article(corpus_copy, ARTICLE.encode(), existing, filename="../../x.txt", date="01/02/2025")
    assert added.file.startswith("up-") and "/" not in added.file and ".." not in added.file
    assert (corpus_copy / added.file).exists()
    assert not (tmp_path / "x.txt").exists() and not (corpus_copy.parent.parent / "x.txt").exists()
    meta = json.loads((corpus_copy / "metadata.json").read_text(encoding="utf-8"))[added.article_id]
    assert meta["date"] == "2025-02-01" and meta["title"] == "Hà Giang đẩy mạnh thu hút đầu tư"
    article = {a.id: a for a in load_corpus(corpus_copy).articles}[added.article_id]
    assert article.province == "Hà Giang" and "7 dự án" in article.text


def test_html_upload_drops_scripts_and_tags(corpus_copy):
    html = ("<html><head><title>Tin Hà Giang</title><script>alert('x')</script></head><body>"
            "<h1>Hà Giang đẩy mạnh thu hút đầu tư nước ngoài</h1><p>Năm 2025, tỉnh có <b>7 dự án</b> FDI với tổng vốn 35 triệu USD.</p>"
            "<style>p{color:red}</style><script>document.cookie</script></body></html>")
    added = add_article(corpus_copy, html.encode(), [], filename="tin.html")
    saved = (corpus_copy / added.file).read_text(encoding="utf-8")
    assert "<" not in saved and "alert" not in saved and "cookie" not in saved and "color" not in saved
    assert "7 dự án FDI" in saved
    assert html_to_text("<p>a &amp; b</p><script>x</script>")[0] == "a & b"


@pytest.mark.parametrize(
    "data, filename, reason",
    [
        (b"x" * (5 * 1024 * 1024 + 1), "big.txt", "quá lớn"),
        (bytes(range(256)) * 8, "blob.txt", "nhị phân"),
        (ARTICLE.encode(), "photo.exe", ".txt, .md"),
        (b"   \n  ", "empty.txt", "trống"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(corpus_copy, data, filename, reason):
    with pytest.raises(UploadRefused, match=reason):
        add_article(corpus_copy, data, [], filename=filename)
    assert not list(corpus_copy.glob("up-*"))


def test_duplicate_of_an_existing_article_is_refused(corpus_copy):
    existing = load_corpus(corpus_copy).articles
    copy = (corpus_copy / "000_bf7702f0972e1e9e.txt").read_bytes()
    with pytest.raises(UploadRefused, match="trùng.*000_bf7702f0972e1e9e"):
        add_article(corpus_copy, copy, existing, filename="copy.txt")


def test_dates_and_provinces_are_checked(corpus_copy):
    assert parse_date("2020-11-29") == parse_date("29/11/2020") == "2020-11-29"
    for bad in ("31/02/2020", "hôm qua"):
        with pytest.raises(UploadRefused):
            parse_date(bad)
    with pytest.raises(UploadRefused, match="tỉnh"):
        add_article(corpus_copy, ARTICLE.encode(), [], province="Atlantis")


def test_delete_refuses_paths_and_unknown_ids(corpus_copy):
    for bad in ("../metadata", "metadata.json", "a/b", ""):
        with pytest.raises(UploadRefused):
            delete_article(corpus_copy, bad)
    with pytest.raises(UploadRefused, match="Không có"):
        delete_article(corpus_copy, "nope")
    assert delete_article(corpus_copy, "000_bf7702f0972e1e9e") == "000_bf7702f0972e1e9e.txt"
    assert "000_bf7702f0972e1e9e" not in json.loads((corpus_copy / "metadata.json").read_text(encoding="utf-8"))


def test_an_upload_at_the_cap_is_either_indexed_or_refused_never_added_and_skipped(corpus_copy):
    """The cap is on the file the index reads (title line included), inclusive: an upload of exactly the
    cap whose saved form would be over it is refused saying so; one whose saved form fits is read back."""
    cap = 4096
    words = ("Năm 2025 tỉnh Hà Giang có bảy dự án đầu tư nước ngoài còn hiệu lực. " * 80).encode("utf-8")
    exact = words[:cap].decode("utf-8", errors="ignore").encode("utf-8")
    exact += b" " * (cap - len(exact))
    assert len(exact) == cap
    with pytest.raises(UploadRefused, match=r"kèm tiêu đề.*giới hạn là .*\(4,096 byte\)"):
        add_article(corpus_copy, exact, [], filename="at-cap.txt", title="Hà Giang thu hút đầu tư", max_bytes=cap)
    assert not list(corpus_copy.glob("up-*"))
    fits = words[: cap - 200].decode("utf-8", errors="ignore").encode("utf-8")
    added = add_article(corpus_copy, fits, [], filename="fits.txt", title="Hà Giang thu hút đầu tư", max_bytes=cap)
    assert (corpus_copy / added.file).stat().st_size <= cap
    assert added.article_id in {a.id for a in load_corpus(corpus_copy, max_bytes=cap).articles}


def test_an_article_whose_file_name_has_spaces_and_diacritics_can_be_deleted(corpus_copy):
    (corpus_copy / "tên có dấu cách.txt").write_text(ARTICLE, encoding="utf-8")
    ids = {a.id for a in load_corpus(corpus_copy).articles}
    odd = next(i for i in ids if " " in i)
    assert delete_article(corpus_copy, odd) == "tên có dấu cách.txt"
    assert not (corpus_copy / "tên có dấu cách.txt").exists()
    assert odd not in {a.id for a in load_corpus(corpus_copy).articles}
    for bad in ("../tên có dấu cách", "x\x00y", " "):
        with pytest.raises(UploadRefused, match="không hợp lệ"):
            delete_article(corpus_copy, bad)
