"""Vietnamese text -> pyvi word segmentation, without importing scikit-learn.

In: text. Out: pyvi's own segmentation (``ViTokenizer.tokenize``: words of
several syllables joined by "_"), identical to a plain ``import pyvi``.

Why: pyvi ships its CRF model as a pickled ``sklearn_crfsuite.CRF``;
unpickling it imports scikit-learn and SciPy (about 2 s), which alone would
break the budget of a cold question. The model inside is a plain
python-crfsuite file, and pyvi only calls ``model.predict``. So, unless
``sklearn_crfsuite`` is already loaded, pyvi is imported while two stand-ins
answer the pickle's imports: ``CRF`` below (its ``predict`` tags with
``pycrfsuite.Tagger``, exactly what ``sklearn_crfsuite.CRF.predict`` does) and
sklearn_crfsuite's own ``FileResource`` loaded from its file (it writes the
pickled model bytes to a temporary file). The stand-ins are removed from
``sys.modules`` right after. pyvi is pinned (``pyvi==0.1.1``), and a test
compares both paths on real text.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import types
from pathlib import Path

_LOCK = threading.Lock()
_tokenizer = None


class CRF:
    """The part of ``sklearn_crfsuite.CRF`` that pyvi uses, on the unpickled state."""

    def predict(self, sequences):
        tagger = self.__dict__.get("_light_tagger")
        if tagger is None:
            import pycrfsuite

            tagger = pycrfsuite.Tagger()
            tagger.open(self.modelfile.name)
            self._light_tagger = tagger
        return [tagger.tag(seq) for seq in sequences]


def _stand_ins() -> dict[str, types.ModuleType]:
    spec = importlib.util.find_spec("sklearn_crfsuite")
    if spec is None or spec.origin is None:
        raise ImportError("sklearn_crfsuite (a pyvi dependency) is not installed")
    path = Path(spec.origin).parent / "_fileresource.py"
    fileresource_spec = importlib.util.spec_from_file_location("sklearn_crfsuite._fileresource", path)
    fileresource = importlib.util.module_from_spec(fileresource_spec)
    fileresource_spec.loader.exec_module(fileresource)
    estimator = types.ModuleType("sklearn_crfsuite.estimator")
    estimator.CRF = CRF
    package = types.ModuleType("sklearn_crfsuite")
    package.estimator, package._fileresource = estimator, fileresource
    return {"sklearn_crfsuite": package, "sklearn_crfsuite.estimator": estimator,
            "sklearn_crfsuite._fileresource": fileresource}


def _load():
    if "sklearn_crfsuite" in sys.modules or "pyvi.ViTokenizer" in sys.modules:
        from pyvi import ViTokenizer

        return ViTokenizer.ViTokenizer
    shims = _stand_ins()
    sys.modules.update(shims)
    try:
        from pyvi import ViTokenizer
    finally:
        for name, module in shims.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
    return ViTokenizer.ViTokenizer


def segment(text: str) -> str:
    """``pyvi.ViTokenizer.tokenize(text)``."""
    global _tokenizer
    if _tokenizer is None:
        with _LOCK:
            if _tokenizer is None:
                _tokenizer = _load()
    return _tokenizer.tokenize(text)
