"""The ONNX runtime pieces the export and the embedder share: files, metadata, a session.

A leaf, so that `export.py` (which needs PyTorch) and `onnx.py` (which must not) both
import it and neither imports the other.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

FP32 = "model.onnx"
INT8 = "model-int8.onnx"
TOKENIZER = "tokenizer.json"
META = "embedder.json"
GRAPHS = {"onnx": FP32, "onnx-int8": INT8}


@dataclass
class ExportMeta:
    """What the runtime needs to embed as sentence-transformers would."""

    model: str
    fingerprint: str
    dimension: int
    max_seq_length: int
    pooling: str  # "mean" or "cls"
    inputs: list[str]
    agreement: float  # worst cosine with PyTorch on the probe sentences

    def save(self, folder: Path) -> None:
        (folder / META).write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")

    @classmethod
    def read(cls, folder: Path) -> ExportMeta | None:
        try:
            return cls(**json.loads((folder / META).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None


class OnnxRuntime:
    """A loaded ONNX graph and tokenizer that pool and normalise like sentence-transformers."""

    def __init__(self, folder: Path, graph: str, meta: ExportMeta) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.meta = meta
        self.tokenizer = Tokenizer.from_file(str(folder / TOKENIZER))
        self.tokenizer.enable_truncation(max_length=meta.max_seq_length)
        self.tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # Idle threads would spin for a while after each run, burning a core that a busy
        # bot needs for the next request; single-query latency does not gain from it.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(
            str(folder / graph), options, providers=["CPUExecutionProvider"]
        )
        # Tokenizer settings are shared state; encoding is guarded so a bot can answer
        # while a reindex embeds (the session itself is safe to run from many threads).
        self._lock = threading.Lock()

    def _hidden(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The last hidden states of a padded batch, its attention mask and token ids."""
        import numpy as np

        with self._lock:
            encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.meta.inputs:
            feeds["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
        hidden: np.ndarray = self.session.run(None, feeds)[0]
        return hidden, mask, ids

    def token_states(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each text's hidden states and token ids, padding left out."""
        hidden, mask, ids = self._hidden(texts)
        lengths = mask.sum(axis=1)
        return [(hidden[i, :n], ids[i, :n]) for i, n in enumerate(lengths.tolist())]

    def vocabulary(self) -> tuple[list[str], set[int]]:
        """The tokens by id, and the special tokens' ids."""
        size = self.tokenizer.get_vocab_size()
        tokens = [self.tokenizer.id_to_token(i) or "" for i in range(size)]
        added = self.tokenizer.get_added_tokens_decoder()
        return tokens, {i for i, token in added.items() if token.special}

    def sums(self, texts: list[str]) -> np.ndarray:
        """Each text's token states summed, padding left out."""
        import numpy as np

        hidden, mask, _ = self._hidden(texts)
        # (batch, 1, tokens) @ (batch, tokens, dims): padding weighs zero.
        summed = np.matmul(mask.astype(np.float32)[:, None, :], hidden)[:, 0]
        return np.asarray(summed, dtype=np.float32)

    def encode(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        # Mean pooling divides the sum by the token count, which normalising undoes.
        pooled = self._hidden(texts)[0][:, 0] if self.meta.pooling == "cls" else self.sums(texts)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.maximum(norms, 1e-12), dtype=np.float32)
