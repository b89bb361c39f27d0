"""Sentence embeddings: one interface over three backends.

`torch` runs sentence-transformers on PyTorch; `onnx` and `onnx-int8` run an ONNX
export of the same model on onnxruntime, with no PyTorch import at run time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import get_args

# NHS information governance: ONNX Runtime's Linux build sends telemetry and writes a
# device id under ~/.cache/Microsoft unless this is set before it is imported, and
# every import of it is inside this package. Forced, not defaulted: it is not a choice.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

from stpbot.defaults import DEFAULT_BACKEND, DEFAULT_MODEL, MODEL_CACHE, Backend
from stpbot.embedding.base import Embedder, Progress
from stpbot.embedding.models import bundled_model_path, resolve_model
from stpbot.errors import StpbotError

BACKENDS: tuple[Backend, ...] = get_args(Backend)

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "DEFAULT_MODEL",
    "Backend",
    "Embedder",
    "Progress",
    "bundled_model_path",
    "open_embedder",
    "resolve_model",
]


def open_embedder(
    model: str = DEFAULT_MODEL, backend: str = DEFAULT_BACKEND, cache_dir: Path | None = None
) -> Embedder:
    """An embedder for `model` on `backend`; ONNX exports are cached in `cache_dir`."""
    if backend == "torch":
        from stpbot.embedding.sbert import TorchEmbedder

        return TorchEmbedder(model)
    if backend in BACKENDS:
        from stpbot.embedding.onnx import OnnxEmbedder

        return OnnxEmbedder(model, backend, cache_dir or Path("index") / MODEL_CACHE)
    raise StpbotError(f"unknown embedding backend {backend}; choose {', '.join(BACKENDS)}")
