"""The PyTorch backend: sentence-transformers, as the model's authors run it."""

from __future__ import annotations

import threading
from functools import cached_property
from typing import TYPE_CHECKING, Any

from stpbot.embedding.base import Embedder
from stpbot.embedding.models import offline_environment, resolve_model
from stpbot.errors import StpbotError

if TYPE_CHECKING:
    import numpy as np
    from sentence_transformers import SentenceTransformer


def pooling_mode(model: Any) -> str | None:
    """ "mean" or "cls" for a plain transformer, pooling and optional normalising;
    None for anything else (a dense layer after pooling, another pooling mode)."""
    kinds = [type(module).__name__ for module in model]
    if kinds[:2] != ["Transformer", "Pooling"] or set(kinds[2:]) - {"Normalize"}:
        return None
    pooling = model[1]
    mode = getattr(pooling, "pooling_mode", None) or (
        "mean"
        if getattr(pooling, "pooling_mode_mean_tokens", False)
        else "cls"
        if getattr(pooling, "pooling_mode_cls_token", False)
        else None
    )
    return str(mode) if mode in {"mean", "cls"} else None


class TorchEmbedder(Embedder):
    """Embeds through sentence-transformers on PyTorch (slow to import, exact)."""

    backend = "torch"

    def __init__(self, name: str, batch_size: int = 64) -> None:
        super().__init__(name, batch_size)
        # A Hugging Face fast tokenizer is not safe to call from two threads at once
        # ("Already borrowed"): a bot answers questions while a reindex embeds.
        self._lock = threading.Lock()

    @cached_property
    def _model(self) -> SentenceTransformer:
        location = resolve_model(self.name)
        offline_environment(location)
        from sentence_transformers import SentenceTransformer

        try:
            return SentenceTransformer(location, device="cpu")
        except OSError as exc:
            raise StpbotError(f"cannot load embedding model {self.name}: {exc}") from exc

    @property
    def loaded(self) -> bool:
        return "_model" in self.__dict__

    @property
    def dimension(self) -> int:
        # sentence-transformers 6 renamed the method; 5.x (the ONNX extra's) has the old one.
        model = self._model
        getter = getattr(model, "get_embedding_dimension", None)
        dim = getter() if getter else model.get_sentence_embedding_dimension()
        if dim is None:
            raise StpbotError(f"model {self.name} does not report its embedding size")
        return int(dim)

    @property
    def mean_pooled(self) -> bool:
        return pooling_mode(self._model) == "mean"

    def _run(self, texts: list[str], **options: Any) -> Any:
        """sentence-transformers' encode, one caller at a time, quietly, as numpy."""
        model = self._model
        with self._lock:
            return model.encode(
                texts,
                batch_size=self.batch_size,
                convert_to_numpy=True,
                show_progress_bar=False,
                **options,
            )

    def _sums(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        # Token states come back without their padding, one array per text.
        states = self._run(texts, output_value="token_embeddings")
        return np.stack([np.asarray(s, dtype=np.float32).sum(axis=0) for s in states])

    @property
    def offers_tokens(self) -> bool:
        return True

    def _token_states(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        import numpy as np

        # All outputs per text, padded to its batch: trimmed by the attention mask.
        outputs = self._run(texts, output_value=None)
        states = []
        for out in outputs:
            n = int(out["attention_mask"].sum())
            hidden = np.asarray(out["token_embeddings"][:n].float().numpy(), dtype=np.float32)
            states.append((hidden, np.asarray(out["input_ids"][:n].numpy(), dtype=np.int64)))
        return states

    def _vocabulary(self) -> tuple[list[str], set[int]]:
        tokenizer = self._model.tokenizer
        tokens = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
        return [t or "" for t in tokens], set(tokenizer.all_special_ids)

    def _encode(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        return np.asarray(self._run(texts, normalize_embeddings=True), dtype=np.float32)
