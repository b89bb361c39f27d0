"""The ONNX backends: onnxruntime and tokenizers only, no PyTorch at run time.

The model is exported once (needing PyTorch, a few seconds) into a cache folder
next to the index, and every later process loads those files directly.
"""

from __future__ import annotations

import fcntl
import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from stpbot.embedding.base import Embedder
from stpbot.embedding.models import fingerprint, resolve_model
from stpbot.embedding.runtime import GRAPHS, ExportMeta, OnnxRuntime
from stpbot.errors import StpbotError

if TYPE_CHECKING:
    import numpy as np


def cache_folder(cache_dir: Path, name: str, backend: str) -> Path:
    """The folder holding the `backend` export of model `name` under `cache_dir`."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name.strip("/"))
    return cache_dir / safe / backend


class OnnxEmbedder(Embedder):
    """Embeds through an ONNX export of the model (fp32 or dynamic int8)."""

    def __init__(self, name: str, backend: str, cache_dir: Path, batch_size: int = 64) -> None:
        super().__init__(name, batch_size)
        if backend not in GRAPHS:
            raise StpbotError(f"unknown ONNX backend {backend}; choose onnx or onnx-int8")
        self.backend = backend
        self.folder = cache_folder(cache_dir, name, backend)
        self._loading = threading.Lock()
        self._loaded: OnnxRuntime | None = None

    def _current_meta(self) -> ExportMeta | None:
        meta = ExportMeta.read(self.folder)
        if meta is None or not (self.folder / GRAPHS[self.backend]).is_file():
            return None
        # A changed model folder (an upgraded package) needs a fresh export.
        return meta if meta.fingerprint == fingerprint(resolve_model(self.name)) else None

    def _export(self) -> ExportMeta:
        """Export the model, once, even when several worker processes start together."""
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        with (self.folder.parent / f".{self.backend}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            meta = self._current_meta()  # another process may have just made it
            if meta is not None:
                return meta
            try:
                from stpbot.embedding.export import export

                return export(self.name, self.backend, self.folder)
            except StpbotError:
                raise
            except ImportError as exc:
                raise StpbotError(
                    f"exporting {self.name} for the {self.backend} backend needs "
                    f"{exc.name or 'PyTorch'}, which is not installed"
                ) from exc
            except Exception as exc:  # torch's exporter raises many kinds of errors
                raise StpbotError(
                    f"cannot export {self.name} to ONNX ({type(exc).__name__}: {exc}); "
                    "set STPBOT_EMBEDDING_BACKEND=torch"
                ) from exc

    @cached_property
    def _meta(self) -> ExportMeta:
        return self._current_meta() or self._export()

    @property
    def _runtime(self) -> OnnxRuntime:
        # Built once under a lock: two first questions at once must not load two sessions.
        if self._loaded is None:
            with self._loading:
                if self._loaded is None:
                    self._loaded = self._open()
        return self._loaded

    def _open(self) -> OnnxRuntime:
        try:
            return OnnxRuntime(self.folder, GRAPHS[self.backend], self._meta)
        except ImportError as exc:
            raise StpbotError(
                f"the {self.backend} backend needs {exc.name}, which is not installed"
            ) from exc
        except StpbotError:
            raise
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise StpbotError(
                f"cannot load the ONNX model in {self.folder} ({exc}); delete that folder "
                "to export it again"
            ) from exc

    @property
    def prepared(self) -> bool:
        return self._loaded is not None or self._current_meta() is not None

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    @property
    def dimension(self) -> int:
        return self._meta.dimension

    @property
    def mean_pooled(self) -> bool:
        return self._meta.pooling == "mean"

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._runtime.encode(texts)

    def _sums(self, texts: list[str]) -> np.ndarray:
        return self._runtime.sums(texts)

    @property
    def offers_tokens(self) -> bool:
        return True

    def _token_states(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        return self._runtime.token_states(texts)

    def _vocabulary(self) -> tuple[list[str], set[int]]:
        return self._runtime.vocabulary()
