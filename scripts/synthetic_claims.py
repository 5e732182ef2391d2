"""Entailment pairs made by script from archive sentences, for pre-training the entail head before the
helper-written claims (``train_reader.py pack --task entail --synthetic N``).

Each chosen sentence (with its title and previous sentence, as the checker reads evidence) gives two
claims, each with the sentence and another sentence of the same article as candidates:

- one the sentence entails: the sentence itself, or with a leading phrase or a trailing clause
  dropped, or with a figure rounded and hedged ("khoảng 68.000" for 67.950);
- one it contradicts: one figure, scale, year, direction, negation, name (another of the article's
  names) or province changed.

The other sentence is "unrelated" to both. The changes are made by rule, not read: what they teach is
which differences matter (a changed fact) and which do not (a dropped detail, a rounded figure). Some
labels are wrong; a hand check of about 400 pairs (round 17) found, on the contradicted side, about 7 %
wrong and 13 % doubtful (names swapped with pieces of the next sentence or another kind of name,
"trước"/"sau" outside a time frame, negations of a relative clause), and on the entailed side about 9 %
fragments (a trailing clause cut after "Theo ...," or before "cho biết").

With ``--reword`` (``reword``), claims of both labels are also reworded alike (equivalent words,
number and date formats, a source moved to the end), so that a changed word alone does not tell the
label. With ``--restate`` (``restate``), the sentence each label's change is made on is first restated
(a leading phrase or an attribution moved to the end, light words or a parenthesis dropped, a figure
hedged), so that a supported claim is seldom a copy and a copy's absence never tells the label.
Only articles that no evaluation set uses are read (``eval/*.jsonl``: dev, test, blind and
seed sets), so dev stays a fair judge of the pre-training.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from rag.schema import Article
from rag.text.sentences import previous_sentence, sentences
from rag.text.vietnamese import PROVINCES, YEAR, canonical_province, find_numbers, find_provinces, fold, multiword_names

ENTAILS, CONTRADICTS, UNRELATED = 0, 1, 2  # the entail head's labels, in TASKS["entail"]["labels"] order
WORDS = (10, 40)  # sentences of this many words are read (shorter ones state little, longer ones are cut)
PER_ARTICLE = 6  # sentences taken from one article at most (many articles rather than a few long ones)
# word pairs whose swap reverses a statement (either way)
OPPOSITES = (("tăng", "giảm"), ("cao hơn", "thấp hơn"), ("nhiều hơn", "ít hơn"), ("lớn nhất", "nhỏ nhất"),
             ("cao nhất", "thấp nhất"), ("trước", "sau"), ("thắng", "thua"))
NOT_OPPOSED = ("tăng cường", "giảm thiểu", "sau khi", "trước khi", "sau đó", "trước đó", "trước mắt", "sau đây",
               "trước đây", "sau này", "trước hết", "trước tiên")
# negating a statement: the first of these, with its negated form
NEGATIONS = (("đã", "chưa"), ("được", "không được"), ("là", "không phải là"), ("có", "không có"))
NEGATED = re.compile(r"\b(không|chưa|chẳng|chớ|đừng)\b", re.IGNORECASE)
NOT_VERB = ("có thể", "có lẽ", "có nhiều", "có một", "là một", "đã từng")
SCALE_SWAPS = {"triệu": "tỷ", "tỷ": "triệu", "nghìn": "triệu", "ngàn": "triệu"}
HEDGES = ("khoảng", "gần", "hơn", "trên", "dưới", "gần như", "chừng", "xấp xỉ")


# ``--reword``: changes that keep a claim's meaning, made on both sides at ``REWORD`` (so a changed word
# alone never tells the label): equivalent words (either way, but for "nhiều" -> "không ít", and a
# word mapped to "" is dropped), number and date formats, and a leading "Theo X," moved to the end
REWORD = 0.8
SYNONYMS = (("cho biết", "cho hay"), ("cho biết", "nói"), ("tuy nhiên", "nhưng"), ("hiện nay", "hiện tại"),
            ("khoảng", "chừng"), ("TP HCM", "TP.HCM"), ("TP HCM", "Thành phố Hồ Chí Minh"), ("USD", "đô la Mỹ"),
            ("tỷ", "tỉ"), ("một số", "một vài"), ("ngoài ra", "bên cạnh đó"), ("bởi vì", "vì"), ("ôtô", "ô tô"),
            ("ô tô", "xe hơi"), ("nhanh chóng", "mau chóng"), ("trẻ em", "trẻ nhỏ"), ("sau đó", "tiếp đó"),
            ("tử vong", "chết"), ("thiệt mạng", "chết"), ("sử dụng", "dùng"), ("tiến hành", "thực hiện"),
            ("quốc gia", "nước"), ("cần phải", "cần"), ("học sinh", "học trò"), ("điện thoại di động", "di động"))
ONE_WAY = (("nhiều", "không ít"), ("đã", ""), ("rất", ""), ("cũng", ""), ("các", ""), ("những", ""))
REWORDINGS = [*((x, y) for a, b in SYNONYMS for x, y in ((a, b), (b, a))), *ONE_WAY]  # (old, new), in order


def _word(w: str) -> re.Pattern:
    return re.compile(rf"(?<!\w){re.escape(w)}(?!\w)")


def _vn(value: int) -> str:
    return f"{value:,}".replace(",", ".")


# --------------------------------------------------------------- entailed
def _same(s: str, rng: random.Random) -> str | None:
    return s


def _lead(s: str, rng: random.Random) -> str | None:
    head, sep, rest = s.partition(", ")
    if (sep and len(head.split()) <= 6 and not re.search(r"[\"“”(]", head) and len(rest.split()) >= 8
            and not find_numbers(head)):
        return rest[0].upper() + rest[1:]
    return None


def _tail(s: str, rng: random.Random) -> str | None:
    cut = max(s.rfind(", "), s.rfind("; "))
    if cut > 0 and len(s[:cut].split()) >= 8 and len(s[cut:].split()) >= 3 and "không chỉ" not in fold(s[:cut]):
        return s[:cut].rstrip() + "."
    return None


def _hedge(s: str, rng: random.Random) -> str | None:
    for n in find_numbers(s):
        before = s[max(0, n.start - 12) : n.start].lower()
        if YEAR.fullmatch(n.text) or "," in n.text or any(before.rstrip().endswith(h) for h in HEDGES):
            continue
        value = n.values[0]
        if value != int(value) or value < 100:
            continue
        step = 10 ** (len(str(int(value))) - 2)
        rounded = int(round(value / step) * step)
        if rounded != value:
            hedge = rng.choice(("khoảng", "gần" if rounded > value else "hơn"))
            return s[: n.start] + hedge + " " + _vn(rounded) + s[n.end :]
    return None


# ------------------------------------------------------------ contradicted
def _figure(s: str, rng: random.Random) -> str | None:
    numbers = [n for n in find_numbers(s) if not YEAR.fullmatch(n.text) and n.text[0] != "0"]
    if not numbers:
        return None
    n = rng.choice(numbers)
    return s[: n.start] + rng.choice([d for d in "123456789" if d != n.text[0]]) + n.text[1:] + s[n.end :]


def _scale(s: str, rng: random.Random) -> str | None:
    for n in find_numbers(s):
        m = re.match(r"\s+(\w+)", s[n.end :])
        if m and m.group(1).lower() in SCALE_SWAPS:
            at = n.end + m.start(1)
            return s[:at] + SCALE_SWAPS[m.group(1).lower()] + s[at + len(m.group(1)) :]
    return None


def _year(s: str, rng: random.Random) -> str | None:
    years = list(YEAR.finditer(s))
    if not years:
        return None
    m = rng.choice(years)
    return s[: m.start()] + str(int(m.group()) + rng.choice([-3, -2, -1, 1, 2, 3])) + s[m.end() :]


def _direction(s: str, rng: random.Random) -> str | None:
    if any(w in s.lower() for w in NOT_OPPOSED):
        return None
    for a, b in OPPOSITES:
        for old, new in ((a, b), (b, a)):
            m = _word(old).search(s)
            if m:
                return s[: m.start()] + new + s[m.end() :]
    return None


def _negation(s: str, rng: random.Random) -> str | None:
    if NEGATED.search(s) or any(w in s.lower() for w in NOT_VERB):
        return None
    for old, new in NEGATIONS:
        m = _word(old).search(s)
        if m and m.start() > 0:
            return s[: m.start()] + new + s[m.end() :]
    return None


def _name(s: str, rng: random.Random, names: list[str]) -> str | None:
    own = [n for n in multiword_names(s) if canonical_province(n) is None]
    if not own:
        return None
    old = rng.choice(own)
    pool = [n for n in names if fold(n) not in fold(s) and fold(old) not in fold(n) and canonical_province(n) is None]
    return _word(old).sub(rng.choice(pool), s, count=1) if pool else None


def _province(s: str, rng: random.Random) -> str | None:
    stated = find_provinces(s)
    if not stated:
        return None
    m = stated[0]
    others = sorted(set(PROVINCES) - {x.province for x in stated})
    return s[: m.start] + rng.choice(others) + s[m.end :]


def _to_end(head: str, rest: str) -> str:
    """"Head, rest." as "Rest, head." (a leading phrase moved to the end)."""
    end = rest[-1] if rest[-1] in ".!" else ""
    return rest[0].upper() + rest[1:len(rest) - len(end)] + ", " + head[0].lower() + head[1:] + (end or ".")


def _reword_once(s: str, rng: random.Random) -> str | None:
    """One meaning-keeping change of ``s`` (a random one of those that apply), or None."""
    found = [(m, new) for old, new in REWORDINGS for m in [_word(old).search(s)] if m and m.start() > 0]
    found += [(m, m.group().replace(".", "")) for m in re.finditer(r"(?<![\d.,])\d{1,3}(?:\.\d{3})+(?![\d.,])", s)
              if not YEAR.fullmatch(m.group().replace(".", ""))]
    found += [(m, {"hơn": "trên", "trên": "hơn"}[m.group()]) for m in re.finditer(r"\b(?:hơn|trên)(?= \d)", s)]
    found += [(m, m.group(1) + " phần trăm") for m in re.finditer(r"(\d+(?:,\d+)?)\s?%", s)]
    found += [(m, m.group(1) + "/" + m.group(2)) for m in re.finditer(r"(?<![\d/-])(\d{1,2})-(\d{1,2})(?![\d/-])", s)]
    head, sep, rest = s.partition(", ")
    if sep and head.startswith("Theo ") and len(head.split()) <= 8 and len(rest.split()) >= 6:
        return _to_end(head, rest)
    if not found:
        return None
    m, new = rng.choice(found)
    out = s[: m.start()] + new + s[m.end() :]
    return re.sub(r"\s{2,}", " ", out)


def reword(s: str, rng: random.Random) -> str:
    """``s`` with one or two meaning-keeping changes (as it is when none applies)."""
    for _ in range(rng.choice((1, 2))):
        s = _reword_once(s, rng) or s
    return s


# ``--restate``: meaning-keeping restatements made before either label's change, so that a supported
# claim is seldom a copy and a difference of form alone never tells the label: a leading phrase or an
# attribution moved to the end, a parenthesis or meaning-light words dropped, any figure rounded and hedged
RESTATE = 0.7  # share of claims of each label restated (by one or two changes, as apply)
LEADING = re.compile(r"(?:Theo|Trong|Tại|Ở|Năm|Ngày|Tháng|Hiện|Hiện nay|Từ|Đến|Tính đến|Sau|Trước|Với|Riêng|"
                     r"Cùng|Đặc biệt|Ngoài ra|Bên cạnh đó|Trên|Qua|Khi|Nhờ|Do|Vì)\b")
LIGHT = ("các", "những", "đã", "cũng", "rất", "đều", "vẫn", "đang", "thì", "hiện")
ORDINAL = re.compile(r"(?:phút|số|ngày|tháng|thứ|giờ|khóa|điều|hạng|lần|vòng|tuổi|quận|phường|đường)\s*$", re.IGNORECASE)
ATTRIBUTED = re.compile(r"^(?P<who>[^,:;\"“”]{3,60}?) (?P<verb>cho biết|cho hay|nói|khẳng định|thông tin)(?:,|:)? "
                        r"(?P<said>[^\"“”]{20,})$")


def _move(s: str, rng: random.Random) -> str | None:
    head, sep, rest = s.partition(", ")
    if sep and LEADING.match(head) and len(head.split()) <= 8 and len(rest.split()) >= 6 and "," not in rest[-25:]:
        return _to_end(head, rest)
    m = ATTRIBUTED.match(s.rstrip(".!"))
    if m and len(m["who"].split()) <= 8:
        said = m["said"]
        return said[0].upper() + said[1:] + ", " + m["who"] + " " + m["verb"] + "."
    return None


def _paren(s: str, rng: random.Random) -> str | None:
    out = re.sub(r"\s*\([^()]{1,60}\)", "", s, count=1)
    return out if out != s else None


def _light(s: str, rng: random.Random) -> str | None:
    found = [m for w in LIGHT for m in _word(w).finditer(s) if m.start() > 0]
    if not found:
        return None
    drop = sorted(rng.sample(found, min(len(found), rng.choice((1, 2)))), key=lambda m: -m.start())
    for m in drop:
        s = s[: m.start()] + s[m.end() :]
    return re.sub(r"\s{2,}", " ", s).replace(" ,", ",").replace(" .", ".")


def _round(s: str, rng: random.Random) -> str | None:
    """One figure (not a year, not already hedged) rounded to two significant digits and hedged: "khoảng"
    either way, "gần" when rounded up, "hơn" when rounded down; a figure that is round already gets
    "khoảng"."""
    numbers = [n for n in find_numbers(s) if not YEAR.fullmatch(n.text) and n.values and n.values[0] >= 10
               and not any(s[max(0, n.start - 12) : n.start].lower().rstrip().endswith(h) for h in HEDGES)
               and not ORDINAL.search(s[max(0, n.start - 12) : n.start])  # "phút 33" is no quantity
               and s[n.end : n.end + 1] not in "-/" and s[max(0, n.start - 1) : n.start] not in "-/"]
    if not numbers:
        return None
    n = rng.choice(numbers)
    value = n.values[0]
    step = 10 ** (len(str(int(value))) - 2)
    rounded = int(round(value / step) * step)
    if rounded == value:
        return s[: n.start] + "khoảng " + s[n.start :]
    if abs(rounded - value) / value > 0.05:
        return None
    hedge = rng.choice(("khoảng", "gần" if rounded > value else "hơn"))
    return s[: n.start] + hedge + " " + _vn(rounded) + s[n.end :]


def restate(s: str, rng: random.Random) -> tuple[str, list[str]]:
    """``s`` with one or two meaning-keeping restatements (``RESTATED``, as apply), and their kinds."""
    kinds = []
    for _ in range(rng.choice((1, 2))):
        order = [k for k in RESTATED if k not in kinds]
        rng.shuffle(order)
        for kind in order:
            made = RESTATED[kind](s, rng)
            if made and made != s:
                s, kinds = made, kinds + [kind]
                break
    return s, kinds


ENTAILED = {"same": _same, "lead": _lead, "tail": _tail, "hedge": _hedge}
RESTATED = {"move": _move, "paren": _paren, "light": _light, "round": _round}
CONTRADICTED = {"figure": _figure, "scale": _scale, "year": _year, "direction": _direction,
                "negation": _negation, "name": _name, "province": _province}


SAME = 0.25  # share of entailed claims that restate their sentence word for word


def _first(kinds: dict, s: str, rng: random.Random) -> tuple[str, str] | None:
    """A random one of ``kinds`` that applies to ``s`` and changes it, with its kind; "same" (the sentence
    itself) at the rate ``SAME`` and when no other applies."""
    if "same" in kinds and rng.random() < SAME:
        return s, "same"
    order = [k for k in kinds if k != "same"]
    rng.shuffle(order)
    for kind in order + ["same"] * ("same" in kinds):
        made = kinds[kind](s, rng)
        if made and (made != s or kind == "same"):
            return made, kind
    return None


def used_articles(eval_dir: Path) -> set[str]:
    """The articles any evaluation set (``eval/*.jsonl``) is written from."""
    out = set()
    for path in sorted(eval_dir.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                out |= {a for a in (d.get("gold_article_id"), d.get("near_article_id")) if a}
    return out


def free_articles(articles: Iterable[Article], used: set[str]) -> list[Article]:
    """The archive's articles that no evaluation set uses (``used_articles``): the only ones pre-training
    reads, by id."""
    return sorted((a for a in articles if a.origin == "archive" and a.id not in used), key=lambda a: a.id)


def synthetic_claims(articles: list[Article], count: int, seed: int, reworded: bool = False,
                     restated: bool = False) -> tuple[list[dict], Counter]:
    """``count`` claims (half entailed, half contradicted) as ``pack`` reads claims: each with its
    sentence and an unrelated one as candidates; and the count of each kind of change. ``reworded``:
    each claim, entailed or contradicted alike, is also reworded at the rate ``REWORD``. ``restated``:
    the sentence each label's change is made on is first restated (``restate``) at the rate
    ``RESTATE``, on each side apart, and the kind names the restatements ("move+light+figure")."""
    rng = random.Random(seed)
    picks = []
    for a in articles:
        spans = [(s, e) for s, e in sentences(a.text) if WORDS[0] <= len(a.text[s:e].split()) <= WORDS[1]
                 and not a.text[s:e].rstrip().endswith("?")]
        if len(spans) < 2:
            continue
        for s, e in rng.sample(spans, min(PER_ARTICLE, len(spans))):
            picks.append((a, s, e, [x for x in spans if x != (s, e)]))
    rng.shuffle(picks)
    out = []
    for a, s, e, others in picks:
        if len(out) >= count:
            break
        text, names = a.text[s:e], multiword_names(a.text)
        contradictions = {**CONTRADICTED, "name": lambda x, r, names=names: _name(x, r, names)}  # the article's names
        bases = {"supported": (text, []), "refuted": (text, [])}
        if restated:
            for verdict in bases:
                own = random.Random(f"{seed}-{a.id}-{s}-restate-{verdict}")
                if own.random() < RESTATE:
                    bases[verdict] = restate(text, own)
        entailed = _first(ENTAILED, bases["supported"][0], rng)
        contradicted = _first(contradictions, bases["refuted"][0], rng)
        if not contradicted:
            continue
        entailed, contradicted = ((made, "+".join([*bases[side][1], kind]))
                                  for side, (made, kind) in (("supported", entailed), ("refuted", contradicted)))
        o0, o1 = rng.choice(others)
        passage = {"s": text, "t": a.title, "p": previous_sentence(a.text, s), "prior": 1.0}
        other = {"s": a.text[o0:o1], "t": a.title, "p": previous_sentence(a.text, o0), "prior": 0.5, "y": UNRELATED}
        for (claim, kind), label, verdict in ((entailed, ENTAILS, "supported"), (contradicted, CONTRADICTS, "refuted")):
            own = random.Random(f"{seed}-{a.id}-{s}-{verdict}")  # the claims stay those made without --reword
            if reworded and own.random() < REWORD:
                claim = reword(claim, own)
            out.append({"id": f"syn-{a.id}-{s}-{verdict}", "set": "synthetic", "split": "train", "type": kind,
                        "verdict": verdict, "long": False, "text": claim, "answerable": True, "generated": True,
                        "cands": [{**passage, "y": label}, other]})
    out = out[:count]
    return out, Counter(c["type"] for c in out)
