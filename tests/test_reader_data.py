"""The reader's training pairs come from committed data and the archive alone: the retriever's
candidates are stored as article ids and offsets (``eval/reader/candidates-*.jsonl.gz``), so the
pairs no longer depend on how an index was built or on later changes to the retriever; a stored
candidate the archive lacks is a one-line error; and each shipped head's manifest records the pairs
the committed data gives."""

import gzip
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.answer.reader import MANIFEST_FILE
from rag.text.vietnamese import find_numbers, find_provinces

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("train_reader", REPO / "scripts" / "train_reader.py")
tr = sys.modules["train_reader"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tr)
import synthetic_claims as sc  # scripts/synthetic_claims.py, on the path train_reader sets


@pytest.fixture(scope="module")
def articles(archive_dir):
    named = {c[0] for task in tr.TASKS for row in tr.candidate_rows(task) for c in row["cands"]}
    return tr.load_articles([str(archive_dir)], named)


@pytest.mark.parametrize("task", list(tr.TASKS))
def test_every_item_has_its_stored_candidates_and_each_is_a_span_of_an_archive_article(task, articles):
    stored = tr.read_candidates(task, articles)
    items = tr.task_items(task)
    assert {(path.name, d["id"]) for path, _, d in items} == set(stored)
    assert sum(1 for cands in stored.values() if cands) >= 0.99 * len(items)
    for cands in stored.values():
        for c in cands:
            text = c.text
            assert 0 <= c.start < c.end <= len(c.article.text) and text and text.strip() == text
            assert 0.0 <= c.prior <= 1.0


def test_a_stored_candidate_the_archive_lacks_is_refused_in_one_line(articles):
    with gzip.open(tr.TASKS["entail"]["candidates"], "rt", encoding="utf-8") as f:
        first = json.loads(f.readline())
    missing = first["cands"][0][0]
    with pytest.raises(SystemExit, match=rf"article '{missing}' of candidates-entail.jsonl.gz is not in the archive"):
        tr.read_candidates("entail", {k: v for k, v in articles.items() if k != missing})


def test_claim_pairs_label_the_gold_evidence_and_the_changed_figures(archive_dir):
    rows = tr.claim_pairs([str(archive_dir)])
    claims = {(path.name, d["id"]): d for path, _, d in tr.task_items("entail")}  # ids are unique within a file
    by_id = {(r["set"], r["id"]): r for r in rows}
    supported = [r for r in rows if r["verdict"] == "supported" and not r.get("generated") and r["cands"][0]["y"] == 0]
    refuted = [r for r in rows if r["verdict"] == "refuted" and not r.get("generated")]
    assert len(supported) > 500 and len(refuted) > 500
    for r in supported:  # the evidence entails, whole, with its article's title
        d = claims[r["set"], r["id"]]
        assert r["cands"][0]["s"] == " ".join(d["gold_evidence"]) and r["cands"][0]["prior"] == 1.0
    for r in refuted:  # the refuting sentence: the evidence that states a diff's archive side, when one does
        evidence = claims[r["set"], r["id"]]["gold_evidence"]
        sides = [str(x["archive"]) for x in claims[r["set"], r["id"]].get("diffs", []) if x.get("archive")]
        first = r["cands"][0]
        assert first["y"] == 1 and first["s"] in evidence
        if any(x in e for e in evidence for x in sides):
            assert any(x in first["s"] for x in sides)
    assert not any(c["y"] != 2 for r in rows if r["verdict"] == "nei" for c in r["cands"])
    changed = [r for r in rows if r.get("generated")]
    assert len(changed) > 200
    for r in changed:  # a supported claim with one figure, year or direction changed contradicts its evidence
        source = by_id[r["set"], r["id"].removesuffix("-changed")]
        assert r["text"] != source["text"] and r["cands"][0]["y"] == 1 and r["cands"][0]["s"] == source["cands"][0]["s"]


def test_answer_pairs_have_a_positive_for_every_answerable_training_question_and_none_for_a_near_miss(archive_dir):
    rows = tr.answer_pairs([str(archive_dir)])
    questions = {(path.name, d["id"]): d for path, _, d in tr.task_items("answer")}
    train = [r for r in rows if r["split"] == "train"]
    answerable = [r for r in train if r["answerable"] and questions[r["set"], r["id"]].get("gold_evidence")]
    assert len(answerable) > 2000
    assert sum(any(c["y"] for c in r["cands"]) for r in answerable) >= 0.98 * len(answerable)
    for r in rows:
        for c in r["cands"]:
            if c["y"]:  # a positive is a sentence of the gold article that overlaps the gold evidence
                d = questions[r["set"], r["id"]]
                assert r["answerable"] and c["article"] == d["gold_article_id"]
                assert any(c["s"][:30] in e or e[:30] in c["s"] for e in d["gold_evidence"])
    assert not any(c["y"] for r in rows if not r["answerable"] for c in r["cands"])


def test_the_listwise_loss_is_the_pointwise_one_for_one_candidate_and_wants_no_answer_for_a_near_miss():
    import torch

    z = torch.tensor([1.5, -0.3, 0.8, 2.0, -1.0])
    question = np.array([7, 7, 7, 9, 4])
    positive = np.array([False, True, False, True, False])
    softplus = torch.nn.functional.softplus
    # question 7: the answering sentence against its two rivals and "no answer" (logit 0)
    q7 = torch.logsumexp(torch.tensor([0.0, 1.5, -0.3, 0.8]), 0) - (-0.3)
    # question 9, one answering candidate: binary cross-entropy of it; question 4, no answering one:
    # the loss of "no answer", which for one candidate is the pointwise loss of a negative
    expected = (q7 + softplus(torch.tensor(-2.0)) + softplus(torch.tensor(-1.0))) / 3
    assert torch.isclose(tr.listwise_loss(z, positive, question), expected)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    assert torch.isclose(tr.listwise_loss(z[3:], positive[3:], question[3:]),
                         (bce(z[3:4], torch.ones(1)) + bce(z[4:], torch.zeros(1))) / 2)
    # raising the answering sentence's logit lowers the loss; raising a rival's raises it
    lower = tr.listwise_loss(z + torch.tensor([0.0, 1.0, 0, 0, 0]), positive, question)
    higher = tr.listwise_loss(z + torch.tensor([1.0, 0, 0, 0, 0]), positive, question)
    assert lower < expected < higher


def test_group_batches_keep_each_question_whole():
    rng = tr.random.Random(0)
    lengths = np.arange(43) % 13 + 5
    groups = [list(range(i, i + 8)) for i in range(0, 40, 8)] + [[40, 41, 42]]  # disjoint, as questions are
    batches = tr._group_batches(groups, lengths, 16, rng)
    assert sorted(r for b in batches for r in b) == sorted(r for g in groups for r in g)
    for g in groups:
        assert sum(set(g) <= set(b) for b in batches) >= 1  # some batch holds the whole group
    assert all(len(b) <= 16 for b in batches)


def test_swapped_negatives_replace_the_asked_province_year_or_name_in_the_answering_sentence():
    positive = {"s": "Năm 2023, Lạng Sơn có 28 dự án FDI còn hiệu lực (Lào Cai: 20 dự án năm 2022), theo ông "
                     "Nguyễn Văn Thắng.", "t": "Lạng Sơn thu hút đầu tư", "p": "", "prior": 0.9, "blocker": "",
                "y": 1, "article": "000"}
    question = "Năm 2023 Lạng Sơn có bao nhiêu dự án FDI, theo ông Nguyễn Văn Thắng?"
    rows = tr.swapped_negatives(question, positive, tr.random.Random(1), ["Trần Thị Hoa"])
    made = {c["swap"]: c for c in rows}
    assert len(rows) == 3 and set(made) == set(tr.SWAPS)
    for kind, c in made.items():  # a non-answering copy, as probable to the scorer as the original
        assert c["y"] == 0 and c["prior"] == 0.9 and c["s"] != positive["s"] and "28 dự án FDI" in c["s"], kind
        assert "Lào Cai: 20 dự án năm 2022" in c["s"], kind  # what the question does not ask stays
    swapped_in = [m.province for m in find_provinces(made["province"]["s"])]
    assert "Lạng Sơn" not in swapped_in and len(set(swapped_in) - {"Lào Cai"}) == 1  # another province
    assert "Lạng Sơn" not in made["province"]["t"]
    assert "2023" not in made["year"]["s"] and "Lạng Sơn" in made["year"]["s"]
    assert "Trần Thị Hoa" in made["name"]["s"] and "Nguyễn Văn Thắng" not in made["name"]["s"]
    # a question that asks none of them gets none; the pool never swaps in a name the question asks
    assert tr.swapped_negatives("Có bao nhiêu dự án FDI?", positive, tr.random.Random(1), ["Trần Thị Hoa"]) == []
    assert "name" not in {c["swap"] for c in tr.swapped_negatives(question, positive, tr.random.Random(1),
                                                                  ["Nguyễn Văn Thắng"])}


def test_partial_evidence_adds_each_sentence_of_a_joined_claims_evidence_as_unrelated():
    joined = {"s": "Thể Công hòa Đà Nẵng 0-0 trên sân Hàng Đẫy. Sau lượt đi, Thể Công xếp chót bảng với 7 điểm.",
              "t": "Thể Công chót bảng", "p": "Chiều nay có ba trận đấu.", "prior": 1.0, "y": 0}
    other = {"s": "Đà Nẵng lên thứ ba.", "t": "Thể Công chót bảng", "p": "", "prior": 0.4, "y": 2}
    claim = {"split": "train", "verdict": "supported", "cands": [joined, other]}
    single = {"split": "train", "verdict": "supported", "cands": [{**joined, "s": "Thể Công hòa Đà Nẵng 0-0."}]}
    dev = {**claim, "split": "dev", "cands": [joined]}
    refuted = {**claim, "verdict": "refuted", "cands": [{**joined, "y": 1}]}
    assert tr.partial_evidence([claim, single, dev, refuted]) == 2
    added = claim["cands"][2:]
    assert [c["s"] for c in added] == ["Thể Công hòa Đà Nẵng 0-0 trên sân Hàng Đẫy.",
                                       "Sau lượt đi, Thể Công xếp chót bảng với 7 điểm."]
    assert all(c["y"] == 2 and c["prior"] == 1.0 and c["t"] == joined["t"] for c in added)
    assert [c["p"] for c in added] == [joined["p"], added[0]["s"]]  # the sentence before each
    assert claim["cands"][:2] == [joined, other]  # the joined evidence still entails
    assert len(single["cands"]) == len(dev["cands"]) == len(refuted["cands"]) == 1  # one sentence, dev, refuted: none


def test_two_sentence_passages_are_labelled_by_what_the_pair_says():
    title = "Thể Công chót bảng"
    one = {"s": "Thể Công hòa Đà Nẵng 0-0 trên sân Hàng Đẫy.", "t": title, "p": "Chiều nay có ba trận đấu.",
           "prior": 1.0, "y": 0}
    other = {"s": "Đà Nẵng lên thứ ba.", "t": title, "p": "", "prior": 0.4, "y": 2}
    elsewhere = {"s": "Hà Nội thắng 2-1.", "t": "Hà Nội thắng", "p": "", "prior": 0.9, "y": 2}
    joined = {**one, "s": one["s"] + " Sau lượt đi, Thể Công xếp chót bảng với 7 điểm."}

    def claim(verdict, gold, split="train"):
        return {"split": split, "verdict": verdict, "cands": [*([gold] if gold else []), other, elsewhere]}

    claims = [claim("supported", one), claim("supported", joined), claim("refuted", {**one, "y": 1}),
              claim("nei", None), claim("supported", one, "dev")]
    claims[3]["cands"].insert(0, {**one, "y": 2, "prior": 0.95})  # a nei claim's most probable candidate
    added = tr.two_sentence_passages(claims, tr.random.Random(1))
    assert added == {"contradicts": 1, "entails": 1, "unrelated": 2}
    pairs = [c["cands"][-1] for c in claims[:4]]
    assert all(c.get("pair") for c in pairs) and len(claims[4]["cands"]) == 3  # dev claims: none
    assert [p["y"] for p in pairs] == [0, 2, 1, 2]
    # two sentences of the claim's article (never the other article's), either order
    assert pairs[0]["s"] in (f"{one['s']} {other['s']}", f"{other['s']} {one['s']}")
    assert pairs[3]["s"] in (f"{one['s']} {other['s']}", f"{other['s']} {one['s']}")
    assert other["s"] in pairs[1]["s"] and joined["s"] not in pairs[1]["s"]  # one of the joined evidence's sentences
    assert all(elsewhere["s"] not in p["s"] and p["t"] == title for p in pairs)
    assert pairs[1]["prior"] == 1.0 and pairs[3]["prior"] == 0.95  # the higher of the two priors


def test_restated_copies_make_a_written_refutations_sentence_a_supported_claim():
    title = "Xuất nhập khẩu qua Lạng Sơn"
    sentence = ("Trong 6 tháng đầu năm 2024, tổng kim ngạch xuất nhập khẩu của tất cả các loại hình đạt 23.630,9 "
                "triệu USD, tăng 28,65% so với cùng kỳ năm 2023.")
    refuting = {"s": sentence, "t": title, "p": "", "prior": 1.0, "y": 1}
    pair = {**refuting, "s": sentence + " Lạng Sơn có 28 dự án FDI.", "pair": True}
    other = {"s": "Lạng Sơn có 28 dự án FDI.", "t": title, "p": "", "prior": 0.4, "y": 2}
    written = {"id": "c1-001", "set": "claims-c1.jsonl", "split": "train", "verdict": "refuted", "type": "number",
               "text": "… đạt 33.630,9 triệu USD …", "cands": [refuting, pair, other]}
    claims = [written, {**written, "id": "c1-002", "generated": True}, {**written, "id": "d-001", "split": "dev"},
              {**written, "id": "c1-003", "verdict": "supported", "cands": [{**refuting, "y": 0}, other]}]
    added = tr.restated_copies(claims, 1)
    assert sum(added.values()) == 1 and len(claims) == 5  # the written training refutation only
    copy = claims[-1]
    assert copy["id"] == "c1-001-copy" and copy["verdict"] == "supported" and copy["split"] == "train"
    assert copy["cands"] == [{**refuting, "y": 0}, other]  # its sentence entails it; no two-sentence passage
    assert written["cands"] == [refuting, pair, other]  # the refutation itself is unchanged
    said = set(sentence.lower().split())
    assert len(said & set(copy["text"].lower().split())) >= 0.6 * len(set(copy["text"].split()))
    assert tr.restated_copies([dict(written)], 1) == added  # the same copy each time


@pytest.mark.parametrize("task", ["answer", "entail"])
def test_the_shipped_head_was_trained_on_the_pairs_the_committed_data_gives(task, archive_dir):
    manifest = json.loads(MANIFEST_FILE.read_text(encoding="utf-8"))["tasks"][task]
    pairs = (tr.answer_pairs if task == "answer" else tr.claim_pairs)([str(archive_dir)])
    assert manifest["derived"] == {str(tr.TASKS[task]["pairs"].relative_to(REPO)): tr.content_sha256(pairs)}


FDI = "Năm 2023, Lạng Sơn có 28 dự án FDI còn hiệu lực với tổng vốn đăng ký hơn 228 triệu USD, theo Sở Kế hoạch."


def test_each_scripted_contradiction_changes_one_fact_of_the_sentence():
    rng = tr.random.Random(3)
    figure = sc._figure("Công ty đã xuất khẩu 67.950 tấn gạo sang Philippines.", rng)
    assert figure != "Công ty đã xuất khẩu 67.950 tấn gạo sang Philippines." and figure.endswith(".950 tấn gạo sang Philippines.")
    assert sc._scale(FDI, rng) == FDI.replace("228 triệu", "228 tỷ")
    year = sc._year(FDI, rng)
    assert year[:4] + year[8:] == FDI[:4] + FDI[8:] and year[4:8] in {str(2023 + d) for d in (-3, -2, -1, 1, 2, 3)}
    assert sc._direction("Giá xăng tăng 500 đồng mỗi lít.", rng) == "Giá xăng giảm 500 đồng mỗi lít."
    assert sc._direction("Bộ sẽ tăng cường kiểm tra giá xăng.", rng) is None  # not a direction
    assert sc._negation("Bị cáo đã kháng cáo bản án sơ thẩm.", rng) == "Bị cáo chưa kháng cáo bản án sơ thẩm."
    assert sc._negation("Bị cáo không kháng cáo bản án sơ thẩm.", rng) is None  # negated already: left alone
    province = sc._province(FDI, rng)
    assert "Lạng Sơn" not in province and len(find_provinces(province)) == 1
    name = sc._name("Quyết định do ông Nguyễn Văn Thắng ký.", rng, ["Trần Thị Hoa", "Nguyễn Văn Thắng"])
    assert name == "Quyết định do ông Trần Thị Hoa ký."
    assert sc._name("Quyết định do ông Nguyễn Văn Thắng ký.", rng, ["Nguyễn Văn Thắng"]) is None  # no other name


def test_each_scripted_entailment_keeps_what_the_sentence_says_or_drops_a_detail():
    rng = tr.random.Random(3)
    said = "Theo Sở Kế hoạch, Lạng Sơn có 28 dự án FDI còn hiệu lực với tổng vốn đăng ký hơn 228 triệu USD."
    assert sc._lead(said, rng) == "Lạng Sơn có 28 dự án FDI còn hiệu lực với tổng vốn đăng ký hơn 228 triệu USD."
    assert sc._lead(FDI, rng) is None  # a leading phrase with a figure (the year) is kept
    assert sc._tail(FDI, rng) == "Năm 2023, Lạng Sơn có 28 dự án FDI còn hiệu lực với tổng vốn đăng ký hơn 228 triệu USD."
    hedged = sc._hedge("Công ty đã xuất khẩu 67.950 tấn gạo.", rng)
    assert hedged in ("Công ty đã xuất khẩu khoảng 68.000 tấn gạo.", "Công ty đã xuất khẩu gần 68.000 tấn gạo.")
    assert sc._hedge("Công ty đã xuất khẩu gần 67.950 tấn gạo.", rng) is None  # hedged already
    assert sc._lead('Chúng ta muốn "xem giò, xem cẳng" đối thủ Thái Lan trước trận đấu quan trọng này.', rng) is None


def test_synthetic_claims_read_only_articles_no_eval_set_uses_and_label_their_own_sentence(articles):
    used = sc.used_articles(REPO / "eval")
    test = [json.loads(line) for line in (REPO / "eval" / "claims-test.jsonl").open()]
    assert len(used) > 400 and {d["gold_article_id"] for d in test if d.get("gold_article_id")} <= used
    free = sc.free_articles(articles.values(), used)
    assert free and not {a.id for a in free} & used and all(a.origin == "archive" for a in free)
    claims, kinds = sc.synthetic_claims(free[:80], 201, 7)
    assert len(claims) == sum(kinds.values()) == 201 and len({c["id"] for c in claims}) == len(claims)
    assert {c["verdict"] for c in claims} == {"supported", "refuted"} and len(kinds) >= 6
    by_id = {a.id: a for a in free}
    for c in claims:
        sentence, other = c["cands"]
        article = by_id[c["id"].split("-", 1)[1].rsplit("-", 2)[0]]
        assert sentence["s"] in article.text and other["s"] in article.text and other["s"] != sentence["s"]
        assert sentence["y"] == (0 if c["verdict"] == "supported" else 1) and other["y"] == 2
        assert (c["text"] == sentence["s"]) == (c["type"] == "same")  # every other kind changes the sentence
        assert c["split"] == "train" and c["type"] in (*sc.ENTAILED, *sc.CONTRADICTED)


def test_rewording_keeps_the_figures_and_moves_a_source_to_the_end():
    rng = tr.random.Random(5)
    said = "Theo Sở Kế hoạch, Lạng Sơn có 28 dự án FDI còn hiệu lực với tổng vốn đăng ký hơn 228 triệu USD."
    assert sc._reword_once(said, rng) == ("Lạng Sơn có 28 dự án FDI còn hiệu lực với tổng vốn đăng ký hơn 228 "
                                          "triệu USD, theo Sở Kế hoạch.")
    assert sc._reword_once("Xuất khẩu đạt 1.200 tấn.", rng) == "Xuất khẩu đạt 1200 tấn."
    assert sc._reword_once("Lãi suất tăng 12%.", rng) == "Lãi suất tăng 12 phần trăm."
    assert sc._reword_once("Phiên tòa mở ngày 28-7.", rng) == "Phiên tòa mở ngày 28/7."
    assert sc._reword_once("Trận đấu kết thúc.", rng) is None  # nothing to reword
    for s in (FDI, "Ông Nguyễn Văn Thắng cho biết công ty đã xuất khẩu 67.950 tấn gạo, tăng 12,5% so với năm 2005."):
        for seed in range(20):
            out = sc.reword(s, tr.random.Random(seed))
            assert [n.values[0] for n in find_numbers(out)] == [n.values[0] for n in find_numbers(s)], out
            assert "không" not in out.replace("không ít", "")  # no negation but the one that keeps the meaning


def test_reworded_claims_are_the_same_claims_reworded_alike_whatever_their_label(articles):
    free = sc.free_articles(articles.values(), sc.used_articles(REPO / "eval"))
    plain, _ = sc.synthetic_claims(free[:150], 600, 11)
    claims, _ = sc.synthetic_claims(free[:150], 600, 11, reworded=True)
    assert [(c["id"], c["type"]) for c in claims] == [(c["id"], c["type"]) for c in plain]
    changed = {v: sum(a["text"] != b["text"] for a, b in zip(claims, plain) if a["verdict"] == v) / 300
               for v in ("supported", "refuted")}
    for v, share in changed.items():  # both labels reworded, at about the rate asked (not all apply)
        assert 0.4 < share <= sc.REWORD + 0.05, (v, share)
    assert abs(changed["supported"] - changed["refuted"]) < 0.1


def test_restatements_keep_the_meaning_and_a_hedged_figure_stays_within_five_percent():
    rng = tr.random.Random(3)
    assert sc._move("Trong năm 2023, Lạng Sơn có 28 dự án FDI còn hiệu lực với tổng vốn đăng ký hơn 228 triệu USD.",
                    rng) == "Lạng Sơn có 28 dự án FDI còn hiệu lực với tổng vốn đăng ký hơn 228 triệu USD, trong năm 2023."
    assert sc._move("Ông Thắng cho biết, công ty đã xuất khẩu 67.950 tấn gạo trong năm nay.", rng) == (
        "Công ty đã xuất khẩu 67.950 tấn gạo trong năm nay, Ông Thắng cho biết.")
    assert sc._paren("Cục hàng không dân dụng Mỹ (FAA) dự báo tăng.", rng) == "Cục hàng không dân dụng Mỹ dự báo tăng."
    assert sc._round("Trận đấu kết thúc ở phút 33.", rng) is None  # a minute is no quantity
    assert sc._round("Giá bán 500-800 triệu đồng.", rng) is None  # nor a bound of a range
    for seed in range(30):
        r = tr.random.Random(seed)
        hedged = sc._round("Lượng khách sẽ đạt 212,5 triệu lượt.", r)
        assert hedged in ("Lượng khách sẽ đạt khoảng 210 triệu lượt.", "Lượng khách sẽ đạt hơn 210 triệu lượt."), hedged
        light = sc._light("Các công ty đã xuất khẩu 67.950 tấn gạo và cũng rất có lãi.", r)
        assert [n.values[0] for n in find_numbers(light)] == [67950.0] and len(light.split()) < 14, light
        said, kinds = sc.restate(FDI, r)
        assert 1 <= len(kinds) <= 2 and said != FDI and "không" not in said and "28" in said, said


def test_restated_claims_are_seldom_copies_and_both_labels_are_restated_alike(articles):
    free = sc.free_articles(articles.values(), sc.used_articles(REPO / "eval"))
    plain, _ = sc.synthetic_claims(free[:150], 600, 11)
    claims, _ = sc.synthetic_claims(free[:150], 600, 11, restated=True)

    def copies(rows: list[dict]) -> float:
        supported = [c for c in rows if c["verdict"] == "supported"]
        return sum(c["text"] == c["cands"][0]["s"] for c in supported) / len(supported)

    assert copies(plain) > 0.4 and copies(claims) < 0.3
    restated = {v: sum(c["type"].split("+")[0] in sc.RESTATED for c in claims if c["verdict"] == v) / 300
                for v in ("supported", "refuted")}
    for v, share in restated.items():  # each label restated at about the rate asked (not every sentence has one)
        assert 0.4 < share <= sc.RESTATE + 0.05, (v, share)
    assert abs(restated["supported"] - restated["refuted"]) < 0.12
    for c in claims:  # a refuted claim still carries its change: never its sentence, restated or not
        assert c["verdict"] == "supported" or c["text"] != c["cands"][0]["s"]


def test_a_pretrained_start_loads_only_the_trained_tensors_and_refuses_a_checkpoint_that_lacks_one(tmp_path):
    import torch

    class Net(torch.nn.Module):  # a frozen vocabulary (its rows differ between packs) under a trained head
        def __init__(self, rows: int, trained: bool = True):
            super().__init__()
            self.rows = torch.nn.Embedding(rows, 4).requires_grad_(False)
            self.head = torch.nn.Linear(4, 3) if trained else torch.nn.Identity()

    torch.manual_seed(0)
    before = Net(9)
    path = tmp_path / "checkpoint.pt"
    torch.save({"net": before.state_dict(), "epoch": 0, "synthetic": {"claims": 3}, "training": {"adapted": 6}}, path)
    net = Net(5)
    rows = net.rows.weight.clone()
    init = tr.load_init(net, path, torch.device("cpu"))
    assert torch.equal(net.head.weight, before.head.weight) and torch.equal(net.head.bias, before.head.bias)
    assert torch.equal(net.rows.weight, rows)  # not loaded: another shape, and frozen
    assert init["epochs"] == 1 and init["synthetic"] == {"claims": 3} and len(init["checkpoint_sha256"]) == 64
    assert init["training"] == {"adapted": 6}  # the start's own flags reach the manifest
    torch.save({"net": Net(9, trained=False).state_dict(), "epoch": 0}, path)
    with pytest.raises(SystemExit, match="2 trained tensors missing, e.g. head.bias"):
        tr.load_init(Net(5), path, torch.device("cpu"))


def test_the_dev_auc_ranks_supported_gold_sentences_over_refuted_ones_and_leaves_out_joined_claims():
    questions = [{"type": "paraphrase", "verdict": "supported"}, {"type": "number", "verdict": "refuted"},
                 {"type": "joined", "verdict": "supported"}]
    # rows: gold entails (claim 0), gold contradicts (claim 1), an unrelated one, a joined claim's gold
    labels = np.array([0, 1, 2, 0])
    qindex = np.array([0, 1, 1, 2])
    probs = np.array([[0.9, 0.05, 0.05], [0.2, 0.7, 0.1], [0.95, 0.0, 0.05], [0.1, 0.1, 0.8]], np.float32)
    figures = tr.claim_dev_figures(probs, labels, qindex, questions)
    assert figures["auc_pairs"] == 2  # the unrelated row and the joined claim's row are not pairs
    assert figures["auc"] == 1.0
    probs[0, 0] = 0.1  # now the supported claim's sentence reads less entailed than the refuted one's
    assert tr.claim_dev_figures(probs, labels, qindex, questions)["auc"] == 0.0
    assert tr.roc_auc(np.array([0.5, 0.5]), np.array([True, False])) == 0.5
