"""Question + the best candidate sentence -> does it answer? asked of the LLM.

In: a LangChain chat model (the local Qwen2.5 model or any other backend),
the question, and the best sentence the extractive scorer found with its
article's title. Out: True when the model replies "Yes".

Used only in the modes that use the LLM, and only for a sentence the scorer
left undecided: nothing rules it out, and its answer probability lies between
``ScorerWeights.judge_floor`` and the answer threshold. The judge can only
let such a sentence answer; it never writes the answer, never picks another
sentence, and never overrides a blocker (province, year, qualifier, type).
On the archive dev split the model's "Yes" in that band was right 9 times out
of 10, and 22 of 26 on the split three times larger (eval/report.md). Any
reply but "Yes", or a failing backend, is "No".
Article text stays data: an article with a sentence addressed to the system
never reaches the judge (``untrusted.untrusted_article``), and a "Yes" can only
let the sentence be quoted verbatim, under a notice to read the source.
"""

from __future__ import annotations

from typing import Callable

SYSTEM = ("You check whether a sentence from a Vietnamese news article answers a question. "
          "Reply with one word: Yes or No.")
USER = ("Question: {question}\nArticle title: {title}\nSentence: {sentence}\n"
        "Does this sentence give the answer to the question?")
MAX_TOKENS = 2  # "Yes" or "No"; the reply's first word decides
JudgeCall = Callable[[str, str, str], bool]  # (question, title, sentence) -> does the sentence answer?


class Judge:
    def __init__(self, chat_model):
        self.chat_model = chat_model

    def __call__(self, question: str, title: str, sentence: str) -> bool:
        messages = [("system", SYSTEM), ("human", USER.format(question=question, title=title, sentence=sentence))]
        try:
            reply = self.chat_model.invoke(messages, max_tokens=MAX_TOKENS).content
        except Exception:  # noqa: BLE001 - a failing backend leaves the scorer's refusal standing
            return False
        words = str(reply).strip().split()
        return bool(words) and words[0].strip(".,!").lower() == "yes"
