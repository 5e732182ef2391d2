"""Text: a Vietnamese or English string -> its normal form, words, sentences, figures, dates, provinces and language tables."""

from rag.exports import lazy

__all__, __getattr__ = lazy(__name__, {
    "normalize_text": "vietnamese", "fold": "vietnamese", "words": "vietnamese", "find_numbers": "vietnamese",
    "find_provinces": "vietnamese", "parse_number": "vietnamese", "YEAR": "vietnamese",
    "sentences": "sentences",
    "Figure": "figures", "figures": "figures", "dates": "figures", "direction": "figures", "names": "figures",
    "checkable": "figures",
    "segment": "segmenter",
    "untrusted_article": "untrusted",
})
