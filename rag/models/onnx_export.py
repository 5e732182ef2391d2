"""Export the converted multilingual-e5-small to ONNX with int8 weights, once.

In: the sentence-transformers folder written by ``convert.ensure_model_dir``.
Out: ``<cache>/models/<model_dir_name>-onnx-int8/`` holding ``model.onnx``
(the BertModel up to its last hidden state; weights int8 with one scale per
output channel, activations quantised per batch at run time, i.e.
onnxruntime's dynamic quantisation) and ``tokenizer.json``, the tokenizer the
torch backend actually runs (transformers rebuilds XLM-R's pre-tokenizer, so
the model folder's own file splits text differently; saving the live one keeps
both backends on the same tokens), plus ``export.json`` naming the recipe.
Exporting imports torch, one time only; the write goes to a temporary folder
renamed into place, so an interrupted export never leaves a half model, and a
folder made by another recipe is exported again.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path

from rag.errors import ModelError
from rag.models.convert import ensure_model_dir, staged_dir
from rag.settings import Settings

# how model.onnx was made; a cached folder with another recipe is exported again
RECIPE = {"opset": 17, "quantisation": "dynamic", "weights": "int8 per-channel", "version": 1}


def onnx_dir(settings: Settings) -> Path:
    return settings.cache_dir / "models" / f"{settings.model_dir_name}-onnx-int8"


def ensure_onnx_dir(settings: Settings) -> Path:
    """Return the ONNX int8 model folder, exporting it on first use."""
    target = onnx_dir(settings)
    try:
        if json.loads((target / "export.json").read_text())["recipe"] == RECIPE and (target / "model.onnx").exists():
            return target
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return export(ensure_model_dir(settings.cache_dir / "models", settings.model_dir_name), target)


def export(model_dir: Path, target: Path) -> Path:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import onnx
        import torch
        import transformers
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ModelError(f"exporting the embedding model to ONNX needs {exc.name}: pip install -e .") from exc
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    print("converting the embedding model to ONNX int8 (one time, ~1 min)", file=sys.stderr)
    started = time.monotonic()
    with staged_dir(target) as tmp:
        model = transformers.AutoModel.from_pretrained(
            str(model_dir), add_pooling_layer=False, attn_implementation="eager").eval()

        class LastHidden(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.bert = model

            def forward(self, input_ids, attention_mask):
                return self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

        ids = torch.ones((2, 8), dtype=torch.long)
        mask = torch.tensor([[1] * 8, [1] * 5 + [0] * 3])  # a padded row, so the mask is traced as used
        axes = {0: "batch", 1: "tokens"}
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                LastHidden(), (ids, mask), str(tmp / "float.onnx"), dynamo=False, opset_version=RECIPE["opset"],
                input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
            )
        logging.disable(logging.WARNING)  # the quantiser logs advice on the root logger
        try:
            quantize_dynamic(
                tmp / "float.onnx", tmp / "model.onnx", weight_type=QuantType.QInt8, per_channel=True,
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
        finally:
            logging.disable(logging.NOTSET)
        (tmp / "float.onnx").unlink()
        transformers.AutoTokenizer.from_pretrained(str(model_dir)).backend_tokenizer.save(str(tmp / "tokenizer.json"))
        (tmp / "export.json").write_text(json.dumps({
            "recipe": RECIPE, "source": str(model_dir), "seconds": round(time.monotonic() - started, 1),
            "torch": torch.__version__, "transformers": transformers.__version__, "onnx": onnx.__version__,
        }, indent=2))
    return target
