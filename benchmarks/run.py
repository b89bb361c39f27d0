"""Speed benchmarks for stpbot: rerun with `python benchmarks/run.py` (see docs/benchmarks.md).

Four parts, each said plainly in the output:

* **Backends**: the three embedding backends on the bundled model: load time,
  query embedding, embedding throughput, agreement with PyTorch, eval scores.
* **Pipeline** (real embeddings, the real code path, default backend): synthetic
  knowledge folders of about N passages, made by recombining and lightly
  rewording the bundled briefings' sentences. Build time, passages/s, index size,
  peak RSS, warm answer latency against embedding alone in the same run, a cold
  `stpbot ask`, and the approximate index's recall@10 on real questions.
* **Index only**: the vector index alone at 100k (and, opt-in, 1M) vectors made
  from real embeddings (blends of two real vectors plus noise, said as such).
* **Slack load** (`benchmarks/slack_load.py`): signed requests to
  `serve slack --http` with one and two worker processes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from corpus import QUESTIONS, make_corpus, questions
from plot import svg_plot

REPO = Path(__file__).resolve().parent.parent
EVAL = REPO.parent / "shared" / "eval" / "questions.jsonl"
BACKENDS = ("torch", "onnx", "onnx-int8")


def progress(message: str) -> None:
    end = "\r" if sys.stderr.isatty() else "\n"
    sys.stderr.write(f"{message:<78}{end}")
    sys.stderr.flush()


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def child(code: str, **env: str) -> dict[str, float]:
    """Run `code` in a fresh interpreter (its own peak RSS); it prints one JSON object."""
    full = {**os.environ, "HF_HUB_OFFLINE": "1", **env}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=full,
        check=False,
        cwd=Path(__file__).parent,
    )
    if out.returncode:
        raise SystemExit(f"benchmark step failed:\n{out.stderr[-3000:]}")
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def stpbot(*args: str, **env: str) -> tuple[float, str]:
    """Seconds taken by a fresh `stpbot` process, and its standard output."""
    exe = shutil.which("stpbot", path=str(Path(sys.executable).parent)) or "stpbot"
    started = time.perf_counter()
    out = subprocess.run(
        [exe, *args],
        env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, out.stdout


BACKEND = """
import json, time
from pathlib import Path
t = time.perf_counter()
from stpbot.embedding import open_embedder
e = open_embedder(backend={backend!r}, cache_dir=Path({cache!r}))
e.load()
load = time.perf_counter() - t
from corpus import views_of
import numpy as np
views = views_of(Path({k!r}), 1000)
t = time.perf_counter(); vectors = e.embed(views); rate = len(views) / (time.perf_counter() - t)
np.save({out!r}, vectors)
qs = {q!r}
times = []
for _ in range(5):
    for q in qs:
        t = time.perf_counter(); e.embed_query(q); times.append(time.perf_counter() - t)
times.sort()
print(json.dumps({{"load": load, "rate": rate, "query_p50": times[len(times) // 2]}}))
"""

EXPORT = """
from pathlib import Path
from stpbot.embedding import open_embedder
open_embedder(cache_dir=Path({cache!r})).load()
print("{{}}")
"""

BUILD = """
import json, resource, time
from pathlib import Path
from stpbot.embedding import open_embedder
from stpbot.index.build import build_index
if __name__ == "__main__":
    embedder = open_embedder(cache_dir=Path({cache!r}))
    embedder.load()  # the model loads before the clock starts: the build time is the build's
    t = time.perf_counter()
    report = build_index(Path({k!r}), Path({i!r}), embedder, full=True)
    s = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    m = report.manifest
    print(json.dumps({{"seconds": s, "passages": m.passage_count, "vectors": m.vector_count,
                      "rss_mb": rss, "search": m.vector_search.__dict__}}))
"""

WARM = """
import json, resource, time
from pathlib import Path
import numpy as np
from stpbot.embedding import open_embedder
from stpbot.engine import Engine
from corpus import recall_at_10
questions = {q!r}
embedder = open_embedder(cache_dir=Path({cache!r}))
engine = Engine.open(knowledge_dir=Path({k!r}), index_dir=Path({i!r}), embedder=embedder)
for q in questions:  # warm up
    engine.ask(q); embedder.embed_query(q)
answer, embed = [], []
for _ in range({rounds}):
    for q in questions:
        t = time.perf_counter(); engine.ask(q); answer.append(time.perf_counter() - t)
        t = time.perf_counter(); embedder.embed_query(q); embed.append(time.perf_counter() - t)
answer.sort(); embed.sort()
pick = lambda xs, p: xs[min(len(xs) - 1, int(p * len(xs)))]
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the exact copy below
index = engine.index
queries = np.stack([embedder.embed_query(q) for q in questions])
recall = recall_at_10(index.vectors, np.asarray(index.matrix), queries)
print(json.dumps({{"p50": pick(answer, .5), "p95": pick(answer, .95),
                  "embed_p50": pick(embed, .5), "recall": recall, "serve_rss_mb": rss}}))
"""

INDEX_ONLY = """
import json, time
import numpy as np
from stpbot.index import vectors as vector_index
from corpus import blended, recall_at_10
source = np.load({src!r}, mmap_mode="r")
queries = np.load({qs!r})
data = blended(np.asarray(source), {n})
t = time.perf_counter(); index, info = vector_index.build(data); build = time.perf_counter() - t
vector_index.search_threads()
def timed(ix):
    times = []
    for q in queries:
        t = time.perf_counter(); ix.search(q.reshape(1, -1), 256)
        times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2], times[int(0.95 * len(times))]
import faiss
exact = faiss.IndexFlatIP(data.shape[1]); exact.add(data)
e50, e95 = timed(exact)
a50, a95 = timed(index)
recall = recall_at_10(index, data, queries)
print(json.dumps({{"build": build, "search": info.__dict__,
                  "exact_p50": e50, "exact_p95": e95, "p50": a50, "p95": a95, "recall": recall,
                  "tuned_recall": info.recall_at_10}}))
"""


def backends(work: Path, eval_file: Path | None) -> list[str]:
    """One row per embedding backend."""
    knowledge = work / "backends-knowledge"
    make_corpus(knowledge, 640)
    cache = work / "models"
    rows, reference = [], None
    import numpy as np

    for backend in BACKENDS:
        progress(f"backend {backend}: export (once) and load…")
        env = {"STPBOT_MODEL_CACHE": str(cache), "STPBOT_EMBEDDING_BACKEND": backend}
        if backend != "torch":
            stpbot("index", "--full", STPBOT_INDEX_DIR=str(work / "warmup"), **env)
        progress(f"backend {backend}: speed…")
        out = work / f"{backend}.npy"
        r = child(
            BACKEND.format(
                backend=backend, cache=str(cache), k=str(knowledge), out=str(out), q=questions()
            ),
        )
        vectors = np.load(out)
        if reference is None:
            reference = vectors
        cosine = np.sum(vectors * reference, axis=1)
        quality = "not run (no eval file)"
        if eval_file is not None:
            progress(f"backend {backend}: eval…")
            _, text = stpbot(
                "eval",
                str(eval_file),
                "--json",
                STPBOT_INDEX_DIR=str(work / f"eval-{backend}"),
                **env,
            )
            m = json.loads(text)
            quality = (
                f"{m['recall@1']:.3f} / {m['recall@3']:.3f} / {m['mrr']:.3f} / "
                f"{m['answered_in_scope']:.2f} / {m['abstention_accuracy']:.2f}"
            )
        rows.append(
            f"| {backend} | {r['load']:.2f} s | {ms(r['query_p50'])} | {r['rate']:.0f} | "
            f"{cosine.min():.4f} / {cosine.mean():.4f} | {quality} |"
        )
    return rows


def pipeline(size: int, rounds: int, work: Path) -> dict[str, float]:
    folder = work / f"pipeline-{size}"
    knowledge, index, cache = folder / "knowledge", folder / "index", work / "models"
    make_corpus(knowledge, size)
    if not cache.exists():  # export the model once, outside the build being measured
        child(EXPORT.format(cache=str(cache)))
    progress(f"pipeline {size:,}: building (real embeddings)…")
    built = child(BUILD.format(k=str(knowledge), i=str(index), cache=str(cache)))
    progress(f"pipeline {size:,}: warm latency…")
    warm = child(
        WARM.format(k=str(knowledge), i=str(index), q=questions(), rounds=rounds, cache=str(cache))
    )
    progress(f"pipeline {size:,}: cold start…")
    cold, size_bytes = cold_start(knowledge, index, cache)
    return {**built, **warm, "cold": cold, "bytes": size_bytes, "index": str(index)}


def cold_start(knowledge: Path, index: Path, cache: Path) -> tuple[float, int]:
    """Median seconds of three fresh `stpbot ask` processes, and the live index's bytes."""
    env = {
        "STPBOT_KNOWLEDGE_DIR": str(knowledge),
        "STPBOT_INDEX_DIR": str(index),
        "STPBOT_MODEL_CACHE": str(cache),
    }
    colds = sorted(stpbot("ask", QUESTIONS[i], "--json", **env)[0] for i in range(3))
    current = index / "versions" / (index / "current").read_text().strip()
    return colds[1], folder_bytes(current)


def index_only(n: int, work: Path, source: Path) -> dict[str, float]:
    import numpy as np

    from stpbot.embedding import open_embedder

    qs = work / "questions.npy"
    if not qs.exists():
        embedder = open_embedder(cache_dir=work / "models")
        np.save(qs, np.stack([embedder.embed_query(q) for q in questions()]))
    progress(f"index {n:,}: building and searching…")
    return child(INDEX_ONLY.format(src=str(source), qs=str(qs), n=n))


def describe(search: dict[str, Any]) -> str:
    """The vector index a manifest records, in a few characters."""
    if search["kind"] == "hnsw":
        half = " fp16" if search.get("storage") == "float16" else ""
        return f"HNSW{search['links']} ef {search['width']}{half}"
    if search["kind"] == "ivf":
        return f"IVF {search['lists']:,}/{search['probes']}"
    return "exact"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pipeline", default="1000,10000", help="passages, comma-separated")
    parser.add_argument("--index", default="100000", help="vectors, comma-separated")
    parser.add_argument("--with-1m", action="store_true", help="add 1,000,000 vectors (~3 GB)")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the questions")
    parser.add_argument("--no-backends", action="store_true", help="skip the backends part")
    parser.add_argument("--no-load", action="store_true", help="skip the Slack load run")
    parser.add_argument("--tiny", action="store_true", help="a seconds-long smoke run (tests)")
    parser.add_argument("--svg", type=Path, help="also draw p50 latency against size, as SVG")
    args = parser.parse_args()
    sizes = [int(s) for s in args.pipeline.split(",") if s]
    vectors = [int(s) for s in args.index.split(",") if s] + ([1_000_000] if args.with_1m else [])
    if args.tiny:
        sizes, vectors, args.rounds, args.no_backends, args.no_load = [60], [12_000], 1, True, True
    eval_file = EVAL if EVAL.exists() else None

    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="stpbench-"))
    try:
        backend_rows = [] if args.no_backends else backends(work, eval_file)
        rows, plot, largest = [], {"warm answer": [], "embed query": []}, None
        for size in sizes:
            r = pipeline(size, args.rounds, work)
            largest = Path(str(r["index"]))
            kind = describe(r["search"])
            plot["warm answer"].append((int(r["passages"]), r["p50"] * 1000))
            plot["embed query"].append((int(r["passages"]), r["embed_p50"] * 1000))
            rows.append(
                f"| {r['passages']:,} | {r['vectors']:,} | {kind} | {r['seconds']:.1f} s | "
                f"{r['passages'] / r['seconds']:.0f} ({r['vectors'] / r['seconds']:.0f}) | "
                f"{r['bytes'] / 1e6:.1f} MB | {r['rss_mb']:.0f} / {r['serve_rss_mb']:.0f} MB | "
                f"{ms(r['p50'])} / {ms(r['p95'])} | {ms(r['embed_p50'])} | "
                f"{r['p50'] / r['embed_p50']:.2f}x | {r['cold']:.2f} s | {r['recall']:.3f} |"
            )
        index_rows = []
        if largest is not None and vectors:
            source = work / "source.npy"
            current = largest / "versions" / (largest / "current").read_text().strip()
            shutil.copy(current / "vectors.npy", source)
            for n in vectors:
                r = index_only(n, work, source)
                kind = describe(r["search"])
                index_rows.append(
                    f"| {n:,} | {ms(r['exact_p50'])} / {ms(r['exact_p95'])} | {kind} | "
                    f"{r['build']:.1f} s | {ms(r['p50'])} / {ms(r['p95'])} | "
                    f"{r['tuned_recall']:.3f} | {r['recall']:.3f} |"
                )
        load_rows = [] if args.no_load else slack_load(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.svg and sizes:
        svg_plot(plot, args.svg)
    progress(f"done in {time.perf_counter() - started:.0f} s")
    sys.stderr.write("\n")
    report(backend_rows, rows, index_rows, load_rows)


def slack_load(work: Path) -> list[str]:
    from slack_load import run_load

    rows = []
    for workers in (1, 2):
        progress(f"slack load: {workers} worker(s), flat out…")
        full = run_load(workers, work / f"load-{workers}")
        progress(f"slack load: {workers} worker(s), paced at half that…")
        paced = run_load(workers, work / f"load-{workers}", rate=round(full["rate"] / 2))
        for r in (full, paced):
            offered = f"paced {r['paced']:.0f}/s" if r["paced"] else f"{r['concurrency']} in flight"
            rows.append(
                f"| {workers} | {offered} | {r['sent']} | {r['answered']} | {r['duplicates']} | "
                f"{r['rate']:.1f} | {r['p50']:.2f} s / {r['p95']:.2f} s | "
                f"{r['bot_cpu'] / r['seconds']:.2f} / {r['load_cpu'] / r['seconds']:.2f} |"
            )
    return rows


def report(backends: list[str], rows: list[str], index: list[str], load: list[str]) -> None:
    if backends:
        print(
            "### Embedding backends (bundled model; eval = recall@1 / recall@3 / MRR / "
            "answered / abstained)\n"
        )
        print(
            "| backend | load (warm cache) | query p50 | texts/s | cosine with torch min / "
            "mean | eval |"
        )
        print("|---|---|---|---|---|---|")
        print("\n".join(backends) + "\n")
    print("### Pipeline (real embeddings, default backend onnx-int8)\n")
    print(
        "| passages | vectors | index | build | passages/s (vectors/s) | index size "
        "| peak RSS build / serve | warm answer p50 / p95 | embed query p50 | answer / embed "
        "| cold `stpbot ask` | recall@10 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    if index:
        print("\n### Index only (vectors blended from real embeddings; top 256, 1 thread)\n")
        print(
            "| vectors | exact p50 / p95 | chosen index | build | p50 / p95 "
            "| recall@10 at build | recall@10, real questions |"
        )
        print("|---|---|---|---|---|---|---|")
        print("\n".join(index))
    if load:
        print("\n### Slack load (signed HTTP requests on loopback, recording fake Web API)\n")
        print(
            "| workers | offered | questions | answered | duplicated | answers/s "
            "| request→posted p50 / p95 | cores used: bot / load+fake |"
        )
        print("|---|---|---|---|---|---|---|---|")
        print("\n".join(load))


if __name__ == "__main__":
    main()
