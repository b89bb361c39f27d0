"""The whole answer path at a million passages, with vectors blended from real ones.

Embedding a million passages would take over two hours on 2 cores, so here they
are not embedded: each view of each passage gets a vector blended from real
embeddings (`corpus.blended`) of about 16,000 synthetic passages, which are
embedded first (`--source`, in paragraphs). Everything else is real. The
knowledge folder is written and read back by the ingest code, and the chunker
groups the sentences. Only pysbd is replaced, by the generator's own sentence
boundaries, because it runs at about 900 passages/s. Both BM25 indexes, the
vector graph and its tuning, the manifest and the files come from
`stpbot.index.store.publish`.

The timings then run the production code on the result: warm answers, the query
embedding alone, and a fresh `stpbot ask` (cold start, with its staleness check
and the index's hash check). A separate graph recall@10 against exact search is
measured for real question embeddings.

    .venv/bin/python benchmarks/scale.py                     # 1,000,000 passages
    .venv/bin/python benchmarks/scale.py --passages 200000   # a quicker look
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from corpus import PASSAGES_PER_PARAGRAPH, document_file, questions, synthetic_documents
from run import WARM, child, cold_start, describe, ms, progress

SOURCE = """
import json
from pathlib import Path
from stpbot.embedding import open_embedder
from stpbot.index.build import build_index
if __name__ == "__main__":
    report = build_index(Path({k!r}), Path({i!r}), open_embedder(cache_dir=Path({cache!r})))
    print(json.dumps({{"passages": report.manifest.passage_count}}))
"""

BUILD = """
import json, resource, sys, time
from pathlib import Path
import numpy as np
from stpbot.chunk import chunking
from stpbot.index.store import DocumentEntry, IndexContents, publish
from stpbot.ingest import discover, load_document
from stpbot.index.embedding_views import ViewPlan, preceding
from corpus import blended, synthetic_documents

if __name__ == "__main__":
    t = time.perf_counter()
    knowledge = Path({k!r})
    spans = {{}}  # paragraph text -> its sentence spans, as the generator made them
    for paragraphs in synthetic_documents({paragraphs}):
        for sentences in paragraphs:
            text, at, found = " ".join(sentences), 0, []
            for sentence in sentences:
                found.append((at, at + len(sentence)))
                at += len(sentence) + 1
            spans[text] = found
    pysbd = chunking.split_sentences
    missed = []
    def known(text):
        if text in spans:
            return spans[text]
        missed.append(text)
        return pysbd(text)
    chunking.split_sentences = known
    documents, passages, contexts, roles, counts = [], [], [], [], []
    plan = ViewPlan(summed=True)
    for path in sorted(discover(knowledge)):
        document = load_document(path, knowledge)
        doc_passages = chunking.chunk_document(document)
        planned = plan.add(doc_passages)
        documents.append(DocumentEntry(source=document.source, checksum=document.checksum,
                                       passages=len(doc_passages)))
        passages += doc_passages
        contexts += preceding(doc_passages)
        roles.append(plan.roles(planned))
        counts += plan.counts(planned)
    roles = np.concatenate(roles)
    owner = np.repeat(np.arange(len(passages), dtype=np.int32), counts)
    source = np.load({src!r}, mmap_mode="r")
    vectors = blended(np.asarray(source), len(roles))
    prepared = time.perf_counter() - t
    t = time.perf_counter()
    manifest = publish(Path({i!r}), IndexContents(
        documents=documents, skipped=[], passages=passages, contexts=contexts,
        vectors=vectors, owner=owner, role=roles, model={model!r}, backend={backend!r},
        chunker=chunking.CHUNKER_VERSION, build_seconds=0.0))
    published = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({{"passages": manifest.passage_count, "vectors": manifest.vector_count,
                      "prepare": prepared, "publish": published, "rss_mb": rss,
                      "pysbd": len(missed), "search": manifest.vector_search.__dict__}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument(
        "--source",
        type=int,
        default=10_000,
        help="paragraphs really embedded to blend from (each about 1.6 passages, 5.5 vectors)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="passes over the questions")
    parser.add_argument(
        "--work", type=Path, help="folder to use (kept), instead of a temporary one"
    )
    args = parser.parse_args()
    from stpbot.defaults import DEFAULT_BACKEND
    from stpbot.embedding.models import DEFAULT_MODEL

    started = time.perf_counter()
    work = args.work or Path(tempfile.mkdtemp(prefix="stpscale-"))
    work.mkdir(parents=True, exist_ok=True)
    cache = work / "models"
    try:
        # Blends of a few thousand vectors repeat each other closely: at 3.4 million
        # blended from 5,535 the graph's recall@10 was 0.91, at 3.4 million from
        # 88,000 it was 0.98. The more real vectors, the closer to a real collection.
        progress(f"source vectors: a real index of {args.source:,} synthetic paragraphs…")
        small = work / "source-knowledge"
        if not small.exists():
            small.mkdir()
            for number, paragraphs in enumerate(synthetic_documents(args.source, seed=11)):
                document_file(small, number, paragraphs)
        child(SOURCE.format(k=str(small), i=str(work / "source-index"), cache=str(cache)))
        source_index = work / "source-index"
        current = source_index / "versions" / (source_index / "current").read_text().strip()
        shutil.copy(current / "vectors.npy", work / "source.npy")

        paragraphs = round(args.passages / PASSAGES_PER_PARAGRAPH)
        knowledge, index = work / "knowledge", work / "index"
        progress(f"writing {paragraphs:,} paragraphs of synthetic briefings…")
        shutil.rmtree(knowledge, ignore_errors=True)
        knowledge.mkdir()
        for number, paras in enumerate(synthetic_documents(paragraphs)):
            document_file(knowledge, number, paras)
        progress("building: ingest, chunk, blend vectors, BM25, graph, publish…")
        built = child(
            BUILD.format(
                k=str(knowledge),
                i=str(index),
                src=str(work / "source.npy"),
                paragraphs=paragraphs,
                model=DEFAULT_MODEL,
                backend=DEFAULT_BACKEND,
            )
        )
        progress("warm latency…")
        warm = child(
            WARM.format(
                k=str(knowledge),
                i=str(index),
                q=questions(),
                rounds=args.rounds,
                cache=str(cache),
            )
        )
        progress("cold start…")
        cold, size = cold_start(knowledge, index, cache)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    elapsed = time.perf_counter() - started
    progress(f"done in {elapsed:.0f} s ({built['pysbd']} paragraphs left to pysbd)")
    sys.stderr.write("\n")
    print("### End to end with blended vectors (text, BM25 and graph real; vectors not embedded)\n")
    print(
        "| passages | vectors | index | ingest + chunk + blend | publish (BM25, graph, files) "
        "| index size | peak RSS build / serve | warm answer p50 / p95 | embed query p50 "
        "| answer / embed | cold `stpbot ask` | recall@10 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {built['passages']:,} | {built['vectors']:,} | {describe(built['search'])} | "
        f"{built['prepare']:.0f} s | {built['publish']:.0f} s | {size / 1e9:.2f} GB | "
        f"{built['rss_mb'] / 1024:.1f} / {warm['serve_rss_mb'] / 1024:.1f} GB | "
        f"{ms(warm['p50'])} / {ms(warm['p95'])} | {ms(warm['embed_p50'])} | "
        f"{warm['p50'] / warm['embed_p50']:.2f}x | {cold:.2f} s | {warm['recall']:.3f} |"
    )


if __name__ == "__main__":
    main()
