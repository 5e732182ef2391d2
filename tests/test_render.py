from rag.schema import Answer, Citation
from rag.serve.render import answer_html, highlight


def cite(text: str, sentence: str, **kw) -> Citation:
    base = dict(n=1, article_id="a1", title="<b>Tiêu đề</b>", date="", outlet="Báo", province="Lạng Sơn",
                chunk_id="a1:0", text=text, sentence=sentence, start=0, end=len(sentence), score=0.5,
                dense=0.1, lexical=0.2)
    return Citation(**{**base, **kw})


def test_highlight_escapes_everything_and_marks_the_sentence():
    out = highlight("Trước <script>alert(1)</script>. Có 28 dự án & 1.200 lao động.", "Có 28 dự án & 1.200 lao động.")
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "<mark>Có 28 dự án &amp; 1.200 lao động.</mark>" in out


def test_answer_html_escapes_titles_and_questions():
    c = cite("<img src=x onerror=alert(1)> Có 28 dự án.", "Có 28 dự án.")
    a = Answer(question="<i>q</i>", answer="Có 28 dự án. [1]", answerable=True, citations=(c,),
               standalone="Lạng Sơn <script>?")
    html = answer_html(a)
    assert "<img" not in html and "<script>" not in html and "<b>Tiêu đề</b>" not in html
    assert "&lt;b&gt;Tiêu đề&lt;/b&gt;" in html and "Nguồn" in html
    assert "\n\n" not in html  # one HTML block for the Markdown renderer


def test_no_information_shows_related_not_sources():
    a = Answer(question="q", answer="Không tìm thấy thông tin này trong kho bài viết.", answerable=False,
               related=(cite("Đoạn gần nhất.", "Đoạn gần nhất."),))
    html = answer_html(a)
    assert "Không có thông tin" in html and "không phải bằng chứng" in html and "Nguồn:" not in html
    assert "<mark>" not in html  # related passages are not presented as evidence


def test_streaming_shows_partial_text_without_sources():
    a = Answer(question="q", answer="Có 28 dự án. [1]", answerable=True, citations=(cite("Có 28 dự án.", "Có 28 dự án."),))
    partial = answer_html(a, shown_text="Có 28")
    assert "Có 28" in partial and "Nguồn" not in partial
