"""Article text is data: which sentences speak to a machine, not to readers.

In: one sentence of an article (or an upload). Out: whether it is addressed
to the system — a chat role written as a speaker ("Hệ thống: …"), an order
about what to answer ("hãy trả lời rằng …") or about the model's
instructions ("bỏ qua mọi hướng dẫn", "ignore previous instructions").
Such a sentence is never an answer or evidence candidate, in any mode. The
patterns live in ``lang.INSTRUCTION_PATTERNS`` and match folded text, so
"he thong: hay tra loi rang" is caught as well as the accented form. An
article holding such a sentence is untrusted as a whole: none of its
sentences is evidence (it is shown as skipped, never cited).
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.schema import Article
from rag.text.lang import INSTRUCTION_PATTERNS
from rag.text.sentences import sentences
from rag.text.vietnamese import fold

_INSTRUCTION = re.compile("|".join(f"(?:{p})" for p in INSTRUCTION_PATTERNS))


def addressed_to_system(sentence: str) -> bool:
    """True when ``sentence`` gives orders to an assistant instead of reporting news."""
    return _INSTRUCTION.search(" ".join(fold(sentence).split())) is not None


@lru_cache(maxsize=4096)
def untrusted_article(article: Article) -> bool:
    """True when any sentence of ``article`` is addressed to the system: the
    whole article is then kept out of answers and evidence."""
    return any(addressed_to_system(article.text[s:e]) for s, e in sentences(article.text)) or (
        addressed_to_system(article.title))
