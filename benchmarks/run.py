"""Speed benchmarks for stpbot: rerun with `python benchmarks/run.py` (see docs/benchmarks.md).

Two parts, said plainly in the output:

* **Pipeline** (real embeddings, the real code path): synthetic knowledge folders
  of about N passages, made by recombining the bundled briefings' sentences. Each
  build runs in its own process so its peak RSS is its own. Measures build time,
  passages/s, index size, warm answer latency (the whole hybrid path: embedding,
  FAISS, BM25, fusion, composing) against embedding the query alone, in the same
  run, and a cold `stpbot ask` as a fresh process.
* **Index only** (random unit vectors, 384 dims): FAISS exact search with default
  threads and with one thread, and IVF (4*sqrt(N) lists) with its recall@10
  against exact search. Random vectors are a harder case for IVF than real
  embeddings, which cluster.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "why were patients absent from STP governance?",
    "why were councils unhappy with STPs?",
    "when will all the STPs be published?",
    "what did the King's Fund say about engagement?",
    "how should STPs involve the voluntary sector?",
    "what did Sir Bruce say about secrecy?",
    "what is the biggest risk for STPs?",
    "how can the public sector increase engagement?",
]


def progress(message: str) -> None:
    end = "\r" if sys.stderr.isatty() else "\n"
    sys.stderr.write(f"{message:<78}{end}")
    sys.stderr.flush()


def sentences() -> list[str]:
    text = " ".join(
        p.read_text(encoding="utf-8").split("---", 2)[-1] for p in (REPO / "knowledge").glob("*.md")
    )
    found = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    return [s for s in found if 40 <= len(s) <= 300 and not s.startswith("#")]


def make_corpus(folder: Path, passages: int, seed: int = 7) -> None:
    """About `passages` passages: documents of 20 paragraphs of 3 recombined sentences."""
    rng = random.Random(seed)
    pool = sentences()
    folder.mkdir(parents=True)
    per_doc = 20
    for d in range(max(1, passages // per_doc)):
        paragraphs = [" ".join(rng.sample(pool, 3)) for _ in range(per_doc)]
        body = "\n\n".join(paragraphs)
        (folder / f"doc-{d:05d}.md").write_text(
            f"---\ntitle: Synthetic briefing {d}\npublisher: Bench {d % 7}\n---\n\n{body}\n",
            encoding="utf-8",
        )


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def child(code: str) -> dict[str, float]:
    """Run `code` in a fresh interpreter; it prints one JSON object."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


BUILD = """
import json, resource, time
from pathlib import Path
from stpbot.embedding import Embedder
from stpbot.indexer import build_index
if __name__ == "__main__":
    embedder = Embedder()
    embedder.dimension  # load the model first: the build time is the build's own
    t = time.perf_counter()
    report = build_index(Path({k!r}), Path({i!r}), embedder, full=True)
    s = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({{"seconds": s, "passages": report.manifest.passage_count,
                      "vectors": report.manifest.vector_count, "rss_mb": rss}}))
"""

WARM = """
import json, statistics, time
from pathlib import Path
from stpbot.embedding import Embedder
from stpbot.engine import Engine
questions = {q!r}
embedder = Embedder()
engine, _ = Engine.open(knowledge_dir=Path({k!r}), index_dir=Path({i!r}), embedder=embedder,
                        build_if_stale=False)
for q in questions:  # warm up
    engine.ask(q); embedder.embed_query(q)
answer, embed = [], []
for _ in range({rounds}):
    for q in questions:
        t = time.perf_counter(); engine.ask(q); answer.append(time.perf_counter() - t)
        t = time.perf_counter(); embedder.embed_query(q); embed.append(time.perf_counter() - t)
answer.sort(); embed.sort()
pick = lambda xs, p: xs[min(len(xs) - 1, int(p * len(xs)))]
print(json.dumps({{"p50": pick(answer, .5), "p95": pick(answer, .95),
                  "embed_p50": pick(embed, .5)}}))
"""


def pipeline(size: int, rounds: int) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="stpbench-"))
    try:
        knowledge, index = work / "knowledge", work / "index"
        make_corpus(knowledge, size)
        progress(f"pipeline {size:,}: building (real embeddings)…")
        built = child(BUILD.format(k=str(knowledge), i=str(index)))
        progress(f"pipeline {size:,}: warm latency…")
        warm = child(WARM.format(k=str(knowledge), i=str(index), q=QUESTIONS, rounds=rounds))
        progress(f"pipeline {size:,}: cold start…")
        stpbot = shutil.which("stpbot", path=str(Path(sys.executable).parent)) or "stpbot"
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "STPBOT_KNOWLEDGE_DIR": str(knowledge),
            "STPBOT_INDEX_DIR": str(index),
        }
        t = time.perf_counter()
        subprocess.run(
            [stpbot, "ask", QUESTIONS[0], "--json"], env=env, check=True, capture_output=True
        )
        cold = time.perf_counter() - t
        current = index / "versions" / (index / "current").read_text().strip()
        return {**built, **warm, "cold": cold, "bytes": folder_bytes(current)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def index_only(n: int, queries: int = 200, dim: int = 384, seed: int = 3) -> dict[str, float]:
    import faiss
    import numpy as np

    rng = np.random.default_rng(seed)
    data = rng.standard_normal((n, dim), dtype=np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    # Queries near stored vectors, as real questions land near their passages.
    picks = data[rng.integers(0, n, queries)]
    qs = picks + 0.6 * rng.standard_normal((queries, dim), dtype=np.float32) / np.sqrt(dim)
    qs /= np.linalg.norm(qs, axis=1, keepdims=True)

    def timed(index: object, threads: int | None) -> tuple[float, float, np.ndarray]:
        if threads:
            faiss.omp_set_num_threads(threads)
        found, times = [], []
        for q in qs:
            t = time.perf_counter()
            _, ids = index.search(q.reshape(1, -1), 10)  # type: ignore[attr-defined]
            times.append(time.perf_counter() - t)
            found.append(ids[0])
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        times.sort()
        return times[len(times) // 2], times[int(0.95 * len(times))], np.array(found)

    progress(f"index {n:,}: exact…")
    flat = faiss.IndexFlatIP(dim)
    flat.add(data)
    f50, f95, truth = timed(flat, None)
    f1_50, f1_95, _ = timed(flat, 1)
    progress(f"index {n:,}: IVF…")
    lists = max(1, int(4 * np.sqrt(n)))
    t = time.perf_counter()
    quantizer = faiss.IndexFlatIP(dim)
    ivf = faiss.IndexIVFFlat(quantizer, dim, lists, faiss.METRIC_INNER_PRODUCT)
    ivf.train(data[rng.choice(n, min(n, lists * 39), replace=False)])
    ivf.add(data)
    ivf_build = time.perf_counter() - t

    def recall_at(nprobe: int) -> float:
        ivf.nprobe = nprobe
        _, found = ivf.search(qs, 10)
        return float(
            np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)])
        )

    # The fewest probed lists that reach recall@10 of 0.95, doubling from one.
    nprobe = 1
    while nprobe < lists and recall_at(nprobe) < 0.95:
        nprobe = min(lists, nprobe * 2)
    recall = recall_at(nprobe)
    i50, i95, _ = timed(ivf, 1)
    return {
        "flat_p50": f50,
        "flat_p95": f95,
        "flat1_p50": f1_50,
        "flat1_p95": f1_95,
        "ivf_build": ivf_build,
        "ivf_p50": i50,
        "ivf_p95": i95,
        "recall": recall,
        "lists": lists,
        "nprobe": ivf.nprobe,
    }


def svg_plot(points: dict[str, list[tuple[int, float]]], path: Path) -> None:
    """A small log-log line chart of p50 latency (ms) against corpus size, as SVG."""
    import math

    width, height, pad = 560, 320, 50
    xs = [x for line in points.values() for x, _ in line]
    ys = [y for line in points.values() for _, y in line if y > 0]
    x0, x1 = math.log10(min(xs)), math.log10(max(xs)) or 1.0
    y0, y1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    if y1 == y0:
        y1 += 1

    def at(x: float, y: float) -> tuple[float, float]:
        px = pad + (math.log10(x) - x0) / max(x1 - x0, 1e-9) * (width - 2 * pad)
        py = height - pad - (math.log10(max(y, 10**y0)) - y0) / (y1 - y0) * (height - 2 * pad)
        return px, py

    colours = ["#005eb8", "#d5281b", "#007f3b", "#ffb81c"]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    for e in range(y0, y1 + 1):
        _, py = at(min(xs), 10**e)
        parts.append(
            f'<line x1="{pad}" x2="{width - pad}" y1="{py:.0f}" y2="{py:.0f}" stroke="#ddd"/>'
        )
        parts.append(f'<text x="{pad - 6}" y="{py + 4:.0f}" text-anchor="end">{10**e:g} ms</text>')
    for x in sorted(set(xs)):
        px, _ = at(x, 10**y0)
        parts.append(
            f'<text x="{px:.0f}" y="{height - pad + 16}" text-anchor="middle">{x:,}</text>'
        )
    for n, (name, line) in enumerate(points.items()):
        coords = " ".join(f"{a:.0f},{b:.0f}" for a, b in (at(x, y) for x, y in sorted(line)))
        colour = colours[n % len(colours)]
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        parts.append(f'<text x="{pad + 8}" y="{pad - 20 + 14 * n}" fill="{colour}">{name}</text>')
    parts.append(
        f'<text x="{width / 2}" y="{height - 10}" text-anchor="middle">vectors (log)</text>'
    )
    parts.append("</svg>")
    path.write_text("\n".join(parts), encoding="utf-8")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pipeline", default="1000,10000", help="passages, comma-separated")
    parser.add_argument("--index", default="1000,10000,100000", help="vectors, comma-separated")
    parser.add_argument("--with-1m", action="store_true", help="add 1,000,000 vectors (about 2 GB)")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the questions")
    parser.add_argument("--tiny", action="store_true", help="a seconds-long smoke run (tests)")
    parser.add_argument("--svg", type=Path, help="also draw p50 latency against size, as SVG")
    args = parser.parse_args()
    sizes = [int(s) for s in args.pipeline.split(",") if s]
    vectors = [int(s) for s in args.index.split(",") if s] + ([1_000_000] if args.with_1m else [])
    if args.tiny:
        sizes, vectors, args.rounds = [60], [2000], 1

    started = time.perf_counter()
    rows = []
    for size in sizes:
        r = pipeline(size, args.rounds)
        rows.append(
            f"| {r['passages']:,} | {r['vectors']:,} | {r['seconds']:.1f} s | "
            f"{r['passages'] / r['seconds']:.0f} | {r['bytes'] / 1e6:.1f} MB | "
            f"{r['rss_mb']:.0f} MB | "
            f"{ms(r['p50'])} / {ms(r['p95'])} | {ms(r['embed_p50'])} | "
            f"{r['p50'] / r['embed_p50']:.2f}x | {r['cold']:.1f} s |"
        )
    index_rows = []
    plot: dict[str, list[tuple[int, float]]] = {
        "exact, default threads": [],
        "exact, 1 thread": [],
        "IVF at recall 0.95, 1 thread": [],
    }
    for n in vectors:
        r = index_only(n)
        plot["exact, default threads"].append((n, r["flat_p50"] * 1000))
        plot["exact, 1 thread"].append((n, r["flat1_p50"] * 1000))
        plot["IVF at recall 0.95, 1 thread"].append((n, r["ivf_p50"] * 1000))
        index_rows.append(
            f"| {n:,} | {ms(r['flat_p50'])} / {ms(r['flat_p95'])} | {ms(r['flat1_p50'])} / "
            f"{ms(r['flat1_p95'])} | {r['lists']:,} / {r['nprobe']} | {r['ivf_build']:.1f} s | "
            f"{ms(r['ivf_p50'])} / {ms(r['ivf_p95'])} | {r['recall']:.3f} |"
        )
    if args.svg and vectors:
        svg_plot(plot, args.svg)
    progress(f"done in {time.perf_counter() - started:.0f} s")
    sys.stderr.write("\n")
    print("### Pipeline (real embeddings, PyTorch backend)\n")
    print(
        "| passages | vectors | build (model loaded) | passages/s | index | peak RSS "
        "| warm answer p50 / p95 | embed query p50 | answer / embed | cold `stpbot ask` |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print("\n### Index only (random unit vectors, 384 dims, 200 queries, top 10)\n")
    print(
        "| vectors | exact p50 / p95 | exact, 1 thread | IVF lists / nprobe | IVF build "
        "| IVF p50 / p95 (1 thread) | IVF recall@10 |"
    )
    print("|---|---|---|---|---|---|---|")
    print("\n".join(index_rows))


if __name__ == "__main__":
    main()
