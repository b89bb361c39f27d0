"""Default settings the configuration and the code below it share.

A leaf with no imports of its own: `config.py` reads these without loading the engine,
and the engine reads them without loading pydantic-settings.
"""

from __future__ import annotations

from typing import Literal

MB = 1024 * 1024

DEFAULT_MODEL = "all-MiniLM-L6-v2"
Backend = Literal["torch", "onnx", "onnx-int8"]
# The fastest backend that keeps the eval scores (docs/benchmarks.md has the numbers).
DEFAULT_BACKEND: Backend = "onnx-int8"
# The folder of ONNX exports, inside the index folder unless set.
MODEL_CACHE = "models"

# The answer gate (retrieve/gate.py): the share of the question's information the best
# passage must match. Chosen on the pooled shared question sets as the middle of the
# best region (`stpbot eval --cv 5` shows the cross-validated figures and how far the
# choice moves between folds).
DEFAULT_THRESHOLD = 0.53
MAX_QUESTION_CHARS = 2000
# Late interaction reads each passage's token states, kept by the build up to this many
# passages (about 40 kB each on disk, memory-mapped); a larger index ranks without it.
DEFAULT_TOKEN_PASSAGES = 20_000

# What one knowledge file may cost to read.
MAX_FILE_MB = 50
MAX_PAGES = 2000
PARSE_SECONDS = 120.0
PARSE_MEMORY_MB = 2048
