"""One-off, offline export of a sentence-transformers model to ONNX (and int8).

This is the only ONNX code that needs PyTorch; the files it writes run on
onnxruntime and tokenizers alone (see `onnx.py`).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stpbot.embedding.models import fingerprint, offline_environment, resolve_model
from stpbot.embedding.runtime import FP32, GRAPHS, INT8, TOKENIZER, ExportMeta, OnnxRuntime
from stpbot.embedding.sbert import pooling_mode
from stpbot.errors import StpbotError

# Sentences the export is checked on: the ONNX graph must agree with PyTorch.
_PROBES = [
    "How will the public be involved in the plans?",
    "Local people were not consulted before the sustainability and transformation "
    "plan was drawn up, and Healthwatch asked for clearer engagement.",
    "hospital beds",
]
MIN_AGREEMENT = {FP32: 0.999, INT8: 0.98}


def _pooling(model: Any, name: str) -> str:
    mode = pooling_mode(model)
    if mode is None:
        kinds = [type(module).__name__ for module in model]
        raise StpbotError(
            f"model {name} ({' + '.join(kinds)}) cannot run on the ONNX backends; "
            "set STPBOT_EMBEDDING_BACKEND=torch"
        )
    return mode


def _export_graph(model: Any, inputs: list[str], path: Path) -> None:
    import torch

    class Hidden(torch.nn.Module):
        """The transformer alone, called with named inputs; pooling is done in numpy."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            hidden: torch.Tensor = self.inner(
                **dict(zip(inputs, tensors, strict=True))
            ).last_hidden_state
            return hidden

    dummy = tuple(torch.ones(2, 8, dtype=torch.long) for _ in inputs)
    axes = {name: {0: "batch", 1: "tokens"} for name in [*inputs, "hidden"]}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Hidden(model[0].auto_model.eval()),
            dummy,
            str(path),
            input_names=inputs,
            output_names=["hidden"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


@contextlib.contextmanager
def _root_logging_kept() -> Iterator[None]:
    """Undo what onnxruntime's quantizer does to the root logger.

    Importing it calls `logging.basicConfig(level=INFO)`, after which every library's
    debug chatter (bm25s logs at DEBUG) reaches the user; running it logs a tip.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)


def _quantize(source: Path, target: Path) -> None:
    # Per-channel int8 weights on the matrix multiplies only: cosine with PyTorch stays
    # above 0.99 on this model, where per-tensor weights fall to about 0.95.
    with _root_logging_kept():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )


def export(name: str, backend: str, folder: Path) -> ExportMeta:
    """Export model `name` for `backend` into `folder`: graph, tokenizer, metadata."""
    location = resolve_model(name)
    offline_environment(location)
    import numpy as np
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(location, device="cpu")
    except OSError as exc:
        raise StpbotError(f"cannot load embedding model {name}: {exc}") from exc
    pooling = _pooling(model, name)
    tokenizer = model.tokenizer
    inputs = [n for n in tokenizer.model_input_names if n != "position_ids"]
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=folder.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a container user must read it too
    try:
        tokenizer.backend_tokenizer.save(str(staging / TOKENIZER))
        _export_graph(model, inputs, staging / FP32)
        graph = GRAPHS[backend]
        if graph == INT8:
            _quantize(staging / FP32, staging / INT8)
            (staging / FP32).unlink()
        reference = model.encode(_PROBES, normalize_embeddings=True, convert_to_numpy=True)
        meta = ExportMeta(
            model=name,
            fingerprint=fingerprint(location),
            dimension=int(reference.shape[1]),
            max_seq_length=int(model.max_seq_length or 512),
            pooling=pooling,
            inputs=inputs,
            agreement=0.0,
        )
        vectors = OnnxRuntime(staging, graph, meta).encode(_PROBES)
        worst = float(np.min(np.sum(vectors * reference, axis=1)))
        if worst < MIN_AGREEMENT[graph]:
            raise StpbotError(
                f"{backend} export of {name} disagrees with PyTorch (cosine {worst:.3f}); "
                "set STPBOT_EMBEDDING_BACKEND=torch"
            )
        meta.agreement = round(worst, 5)
        meta.save(staging)
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return meta
