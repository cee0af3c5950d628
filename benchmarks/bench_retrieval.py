"""Ingest throughput and search latency of papertrail's retrieval (BM25 + MiniLM + Chroma).

    .venv/bin/python benchmarks/bench_retrieval.py [--papers 100000] [--skip-large]

1. Ingest: the whole `ingest()` of the bundled corpus (data/corpus) into a fresh temporary home, against
   the embedder alone on exactly the same chunk texts in the same groups (timed before and after the
   ingest, model already loaded). Overhead = ingest time / embed time - 1; the ingest is also split
   (parse, chunking, embedding, Chroma writes, BM25 refresh) with wrappers around those steps.
2. Search latency (Retriever.search, k=10) over the questions of evals/questions/retrieval.jsonl at the
   bundled corpus, split into query reading, embedding, BM25, Chroma count + query, fusion.
3. The same at --papers synthetic papers (default 100,000), with the Chroma index opened in-process
   (PersistentClient) and through a `chroma run` server serving a copy of the same directory, with peak
   memory of each search process (ru_maxrss) and of the server (VmHWM). Synthetic papers recombine the
   sentences of corpus abstracts; their chunk vectors are real corpus chunk vectors plus Gaussian noise,
   renormalized (embedding ~200k chunks with MiniLM on 2 shared cores would take hours).

Searches and the large build run in child processes (the same script with --worker), so each peak-memory
figure belongs to one job. Prints the figures and writes the section between the `retrieval` markers of
benchmarks/RESULTS.md. Run time on 2 shared cores: ~10 min for parts 1-2, ~15-25 min for part 3.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "corpus"
QUESTIONS = ROOT / "evals" / "questions" / "retrieval.jsonl"
CACHE = ROOT / "benchmarks" / "cache"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
START, END = "<!-- retrieval:start -->", "<!-- retrieval:end -->"
HEADER = ("# papertrail benchmarks\n\nEach benchmark script writes its own section between its markers; "
          "see the scripts in benchmarks/ for how to rerun them.\n")
K = 10
NOISE_SIGMA = 0.025  # per dimension; noise norm ~0.49, cosine to the source vector ~0.90
SEED = 1234
STAGES = [  # (key, label) of the search split, in pipeline order
    ("read", "read query (names, years)"),
    ("embed", "embed query (MiniLM)"),
    ("bm25", "BM25"),
    ("count", "Chroma count()"),
    ("chroma", "Chroma query"),
    ("fuse", "fusion (RRF)"),
    ("other", "other (grouping, filters)"),
]


# --- small helpers ---------------------------------------------------------------------------------
def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def use_home(home: Path) -> None:
    """Settings read PAPERTRAIL_HOME/config.toml; point it at the benchmark home so no user config leaks in."""
    os.environ["PAPERTRAIL_HOME"] = str(home)


def make_settings(home: Path, chroma_url: str | None = None):
    from assistant.settings import Settings

    use_home(home)
    return Settings(home=home, chroma_url=chroma_url)


class Clock:
    """Adds up the time spent in wrapped callables, by label."""

    def __init__(self) -> None:
        self.t: dict[str, float] = defaultdict(float)
        self.n: dict[str, int] = defaultdict(int)

    def wrap(self, label: str, fn: Callable) -> Callable:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.t[label] += time.perf_counter() - start
                self.n[label] += 1
        return timed

    def reset(self) -> None:
        self.t.clear()
        self.n.clear()


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def peak_rss_kb() -> int:
    """This process's peak RSS. VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork + exec, so a child
    of the (model-holding) parent would report the parent's peak."""
    return proc_kb(os.getpid(), "VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def corpus_papers():
    from ingest.pipeline import IngestReport, collect_papers, expand_paths

    report = IngestReport()
    return list(collect_papers(expand_paths([CORPUS], report), report).values())


def chunk_groups(papers, settings, group: int) -> list[list[str]]:
    """The chunk texts ingest() embeds, in its groups of `group` papers."""
    from ingest.chunk import chunk_paper

    return [[c.text for p in papers[i:i + group] for c in chunk_paper(p, settings.chunking)]
            for i in range(0, len(papers), group)]


def vectors_cache_path(settings, texts: list[str]) -> Path:
    key = hashlib.sha1("\x1e".join([settings.embedding.name, *texts]).encode()).hexdigest()[:12]
    return CACHE / f"corpus-chunk-vectors-{key}.npy"


def questions() -> list[str]:
    return [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines() if line.strip()]


# --- part 1: ingest ---------------------------------------------------------------------------------
def time_embed(embedder, groups: list[list[str]]) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    parts = [embedder.embed(texts) for texts in groups]
    return time.perf_counter() - start, np.concatenate(parts)


def bench_ingest(embedder, work: Path) -> dict[str, Any]:
    import ingest.pipeline as pipeline
    from assistant.lexical import LexicalIndex
    from assistant.store import ChromaStore

    home = work / "corpus-home"
    settings = make_settings(home)
    papers = corpus_papers()
    groups = chunk_groups(papers, settings, pipeline.WRITE_BATCH)
    texts = [t for g in groups for t in g]
    out: dict[str, Any] = {"papers": len(papers), "chunks": len(texts), "write_batch": pipeline.WRITE_BATCH,
                           "load_before": load()}

    print(f"[ingest] embedder alone, run 1 ({len(texts)} chunk texts in {len(groups)} groups) ...", flush=True)
    embed_1, vectors = time_embed(embedder, groups)
    np.save(vectors_cache_path(settings, texts), vectors)
    print(f"[ingest]   {embed_1:.1f} s  ({len(texts) / embed_1:.1f} chunks/s), load {load()}", flush=True)

    clock = Clock()
    store = ChromaStore(settings)
    saved = {name: getattr(pipeline, name) for name in ("collect_papers", "chunk_paper", "refresh_lexical")}
    build, save = LexicalIndex.__dict__["build"], LexicalIndex.__dict__["save"]
    pipeline.collect_papers = clock.wrap("parse", saved["collect_papers"])
    pipeline.chunk_paper = clock.wrap("chunk", saved["chunk_paper"])
    pipeline.refresh_lexical = clock.wrap("bm25", saved["refresh_lexical"])
    LexicalIndex.build = classmethod(clock.wrap("bm25_build", build.__func__))
    LexicalIndex.save = clock.wrap("bm25_save", save)
    store.write_papers = clock.wrap("write", store.write_papers)
    store.all_papers = clock.wrap("bm25_read", store.all_papers)
    store.paper_hashes = clock.wrap("hashes", store.paper_hashes)
    original_embed = embedder.embed
    embedder.embed = clock.wrap("embed", original_embed)
    print("[ingest] ingest() into a fresh home ...", flush=True)
    try:
        start = time.perf_counter()
        report = pipeline.ingest([CORPUS], settings, store, embedder)
        ingest_s = time.perf_counter() - start
    finally:
        for name, fn in saved.items():
            setattr(pipeline, name, fn)
        LexicalIndex.build, LexicalIndex.save = build, save
        embedder.embed = original_embed
    assert report.chunks_written == len(texts), (report.chunks_written, len(texts))
    print(f"[ingest]   {ingest_s:.1f} s, load {load()}", flush=True)

    print("[ingest] embedder alone, run 2 ...", flush=True)
    embed_2, _ = time_embed(embedder, groups)
    print(f"[ingest]   {embed_2:.1f} s, load {load()}", flush=True)

    split = dict(clock.t)
    split["other"] = ingest_s - sum(split[k] for k in ("parse", "chunk", "embed", "write", "bm25", "hashes"))
    embed_mean = (embed_1 + embed_2) / 2
    out.update(
        ingest_s=ingest_s, report_seconds=report.seconds, embed_runs=[embed_1, embed_2], embed_s=embed_mean,
        overhead=ingest_s / embed_mean - 1, inrun_overhead=ingest_s / split["embed"] - 1,
        split=split, load_after=load(), home=str(home),
        chroma_bytes=dir_size(home / "chroma"), total_papers=report.total_papers)
    return out


# --- synthetic corpus ------------------------------------------------------------------------------
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])")


def synthetic_papers(base, n: int, seed: int):
    """n papers recombining the sentences of `base` abstracts; yields (paper, index of its base paper)."""
    from assistant.records import Paper, normalize_title, paper_id_for

    rng = random.Random(seed)
    sentences = [[s for s in _SENTENCE.split(p.abstract) if s.strip()] for p in base]
    pool = [s for group in sentences for s in group]
    title_words = sorted({w for p in base for w in re.findall(r"[A-Za-z][A-Za-z0-9-]+", p.title)})
    names = [a.split() for p in base for a in p.authors if len(a.split()) >= 2]
    firsts = sorted({n[0] for n in names}) or ["Ada"]
    lasts = sorted({n[-1] for n in names}) or ["Lovelace"]
    seen: set[str] = set()
    for i in range(n):
        b = rng.randrange(len(base))
        while True:
            title = " ".join(rng.choice(title_words) for _ in range(rng.randint(4, 10)))
            title = title[0].upper() + title[1:]
            key = normalize_title(title)
            if key not in seen:
                seen.add(key)
                break
        own = sentences[b] or [base[b].abstract]
        count = max(2, len(own) + rng.randint(-2, 2))
        picked = [rng.choice(own) if rng.random() < 0.5 else rng.choice(pool) for _ in range(count)]
        year = rng.randint(2012, 2025)
        date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        authors = [f"{rng.choice(firsts)} {rng.choice(lasts)}" for _ in range(rng.randint(1, 6))]
        yield Paper(paper_id=paper_id_for(title), title=title, abstract=" ".join(picked), authors=authors,
                    date=date, date_raw=date, url=f"https://example.org/synthetic/{i}",
                    sources=["synthetic.jsonl"]), b


def worker_build(args: argparse.Namespace) -> dict[str, Any]:
    """Write --papers synthetic papers into an embedded Chroma index at --home, then the BM25 index."""
    from assistant.lexical import LexicalIndex, index_dir, papers_fingerprint
    from assistant.store import ChromaStore
    from ingest.chunk import chunk_paper

    home = Path(args.home)
    settings = make_settings(home)
    base = corpus_papers()
    base_chunks = [len(chunk_paper(p, settings.chunking)) for p in base]
    vectors = np.load(args.vectors)
    assert vectors.shape[0] == sum(base_chunks), "vector cache does not match the corpus chunks"
    offsets = np.concatenate([[0], np.cumsum(base_chunks)])
    rng = np.random.default_rng(SEED)
    store = ChromaStore(settings)
    clock = Clock()
    gen, chunk, write = clock.wrap("generate", next), clock.wrap("chunk", chunk_paper), clock.wrap("write", store.write_papers)
    batch_papers = args.write_batch
    chunks_total = 0
    started = time.perf_counter()
    papers_iter = synthetic_papers(base, args.papers, SEED)
    done = 0
    while done < args.papers:
        items = []
        for _ in range(min(batch_papers, args.papers - done)):
            paper, b = gen(papers_iter)
            chunks = chunk(paper, settings.chunking)
            t = time.perf_counter()
            rows = offsets[b] + np.arange(len(chunks)) % base_chunks[b]
            matrix = vectors[rows] + rng.normal(0.0, NOISE_SIGMA, (len(chunks), vectors.shape[1])).astype(np.float32)
            matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
            clock.t["vectors"] += time.perf_counter() - t
            items.append((paper, chunks, matrix))
        write(items, set())
        done += len(items)
        chunks_total += sum(len(c) for _, c, _ in items)
        if done % (batch_papers * 200) == 0 or done == args.papers:
            el = time.perf_counter() - started
            print(f"[build]   {done} papers, {chunks_total} chunks, {el:.0f} s, load {load()}", flush=True)
    write_total = time.perf_counter() - started

    t = time.perf_counter()
    papers = store.all_papers()
    read_s = time.perf_counter() - t
    t = time.perf_counter()
    fingerprint = papers_fingerprint({p.paper_id: p.content_hash() for p in papers})
    index = LexicalIndex.build(papers, fingerprint)
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    index.save(index_dir(settings.home, store.name))
    save_s = time.perf_counter() - t
    return {
        "papers": store.paper_count(), "chunks": store.chunk_count(), "write_batch": batch_papers,
        "write_total_s": write_total, "split": dict(clock.t), "bm25_read_s": read_s, "bm25_build_s": build_s,
        "bm25_save_s": save_s, "maxrss_kb": peak_rss_kb(),
        "chroma_bytes": dir_size(home / "chroma"), "bm25_bytes": dir_size(home / "bm25"), "load": load(),
    }


# --- search ----------------------------------------------------------------------------------------
def worker_search(args: argparse.Namespace) -> dict[str, Any]:
    """Retriever.search latency over the eval questions, split by stage, in this process."""
    from assistant.embedder import make_embedder
    from assistant.retrieve import Retriever
    from assistant.store import ChromaStore

    import torch

    settings = make_settings(Path(args.home), args.chroma_url)
    import assistant.embedder as embedder_module

    shipped_small = getattr(embedder_module, "SMALL_BATCH", 0)  # LocalEmbedder: <= this many texts on 1 thread
    if args.query_threads:  # the variant: every embed on this many torch threads
        torch.set_num_threads(args.query_threads)
        if shipped_small:
            embedder_module.SMALL_BATCH = 0
        query_threads = args.query_threads
    else:
        query_threads = 1 if shipped_small else torch.get_num_threads()
    t = time.perf_counter()
    embedder = make_embedder(settings.embedding)
    embedder.embed(["warm-up"])
    model_s = time.perf_counter() - t
    t = time.perf_counter()
    store = ChromaStore(settings)
    retriever = Retriever(settings, store, embedder)
    init_s = time.perf_counter() - t

    clock = Clock()
    embedder.embed = clock.wrap("embed", embedder.embed)
    retriever.read = clock.wrap("read", retriever.read)
    retriever.lexical.search = clock.wrap("bm25", retriever.lexical.search)
    store.chunk_count = clock.wrap("count", store.chunk_count)
    store.query = clock.wrap("query", store.query)
    retriever.fuse = clock.wrap("fuse", retriever.fuse)

    qs = questions()
    t = time.perf_counter()
    retriever.search(qs[0], k=K)  # the first query loads the HNSW index
    first_ms = (time.perf_counter() - t) * 1000
    for q in qs[1:6]:
        retriever.search(q, k=K)
    samples: dict[str, list[float]] = defaultdict(list)
    filtered = 0
    slow_filtered: list[dict[str, float]] = []
    for _ in range(args.passes):
        for q in qs:
            clock.reset()
            start = time.perf_counter()
            hits = retriever.search(q, k=K)
            total = time.perf_counter() - start
            parts = dict(clock.t)
            row = {"total": total, "read": parts.get("read", 0.0), "embed": parts.get("embed", 0.0),
                   "bm25": parts.get("bm25", 0.0), "count": parts.get("count", 0.0),
                   "chroma": parts.get("query", 0.0) - parts.get("count", 0.0), "fuse": parts.get("fuse", 0.0)}
            row["other"] = total - sum(row[k] for k, _ in STAGES if k != "other")
            for key, value in row.items():
                samples[key].append(value * 1000)
            facts = retriever.read(q)
            is_filtered = bool(facts.author or facts.year_from or facts.year_to)
            filtered += is_filtered
            samples["total_filtered" if is_filtered else "total_unfiltered"].append(total * 1000)
            if is_filtered:
                slow_filtered.append(row)
            assert len(hits) <= K
    counts = []  # what a count() costs where store.query used to make it: right after embedding the query
    for q in qs[:30]:
        embedder.embed([q])
        t = time.perf_counter()
        store._chunks.count()
        counts.append((time.perf_counter() - t) * 1000)
    return {
        "mode": "server" if args.chroma_url else "embedded", "papers": len(retriever.papers),
        "chunks": store.chunk_count(), "queries": len(qs), "passes": args.passes,
        "filtered_queries": filtered // args.passes, "model_load_s": model_s, "retriever_init_s": init_s,
        "first_query_ms": first_ms,
        "stats": {k: {"p50": pct(v, 50), "p95": pct(v, 95), "mean": float(np.mean(v))} for k, v in samples.items()},
        "filtered_mean_ms": {k: float(np.mean([r[k] for r in slow_filtered])) * 1000 for k in slow_filtered[0]}
        if slow_filtered else {},
        "count_alone": {"p50": pct(counts, 50), "p95": pct(counts, 95)}, "query_threads": query_threads,
        "variant": bool(args.query_threads),
        "maxrss_kb": peak_rss_kb(), "load": load(),
    }


def worker_server_write(args: argparse.Namespace) -> dict[str, Any]:
    """Write throughput through the Chroma server (small sample into a separate collection prefix)."""
    from assistant.store import ChromaStore
    from ingest.chunk import chunk_paper

    settings = make_settings(Path(args.home), args.chroma_url).with_overrides(
        **{"store.collection_prefix": "benchwrite"})
    base = corpus_papers()
    base_chunks = [len(chunk_paper(p, settings.chunking)) for p in base]
    vectors = np.load(args.vectors)
    offsets = np.concatenate([[0], np.cumsum(base_chunks)])
    rng = np.random.default_rng(SEED + 1)
    store = ChromaStore(settings)
    items = []
    for paper, b in synthetic_papers(base, args.papers, SEED + 1):
        chunks = chunk_paper(paper, settings.chunking)
        rows = offsets[b] + np.arange(len(chunks)) % base_chunks[b]
        matrix = vectors[rows] + rng.normal(0.0, NOISE_SIGMA, (len(chunks), vectors.shape[1])).astype(np.float32)
        items.append((paper, chunks, matrix / np.linalg.norm(matrix, axis=1, keepdims=True)))
    start = time.perf_counter()
    for i in range(0, len(items), args.write_batch):
        store.write_papers(items[i:i + args.write_batch], set())
    seconds = time.perf_counter() - start
    chunks = sum(len(c) for _, c, _ in items)
    store.drop()
    for suffix in ("chunks", "papers"):
        store.client.delete_collection(f"{store.name}-{suffix}")
    return {"papers": len(items), "chunks": chunks, "seconds": seconds, "write_batch": args.write_batch}


def run_worker(kind: str, out: Path, **options: Any) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--out", str(out)]
    for key, value in options.items():
        if value is not None:
            cmd += [f"--{key.replace('_', '-')}", str(value)]
    subprocess.run(cmd, check=True, cwd=ROOT)
    return json.loads(out.read_text())


# --- chroma server ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_pids(pid: int) -> list[int]:
    pids, todo = [pid], [pid]
    while todo:
        parent = todo.pop()
        for path in Path("/proc").glob(f"{parent}/task/*/children"):
            for child in path.read_text().split():
                pids.append(int(child))
                todo.append(int(child))
    return pids


def proc_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class ChromaServer:
    def __init__(self, path: Path, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log, "w")
        exe = Path(sys.executable).with_name("chroma")
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        start = time.perf_counter()
        self.proc = subprocess.Popen([str(exe), "run", "--path", str(path), "--host", "127.0.0.1",
                                      "--port", str(self.port)], stdout=self.log, stderr=subprocess.STDOUT, env=env)
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self.proc.returncode}; see {log}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=2):
                    break
            except OSError:
                if time.perf_counter() - start > 180:
                    self.stop()
                    raise RuntimeError(f"chroma run did not answer within 180 s; see {log}")
                time.sleep(0.5)
        self.ready_s = time.perf_counter() - start

    def memory_kb(self) -> dict[str, int]:
        pids = tree_pids(self.proc.pid)
        return {"hwm_kb": sum(proc_kb(p, "VmHWM") for p in pids), "rss_kb": sum(proc_kb(p, "VmRSS") for p in pids),
                "processes": len(pids)}

    def cpu_s(self) -> float:
        """user + system CPU seconds of the server's process tree so far."""
        total = 0
        for pid in tree_pids(self.proc.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
            except (OSError, IndexError, ValueError):
                pass
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# --- part 3 ------------------------------------------------------------------------------------------
def bench_large(n: int, vectors: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    home = work / "large-home"
    out: dict[str, Any] = {"papers_requested": n, "load_before": load()}
    print(f"[large] building {n} synthetic papers (embedded Chroma, batches of {args.write_batch} papers) ...",
          flush=True)
    out["build"] = run_worker("build", work / "build.json", home=home, papers=n, vectors=vectors,
                              write_batch=args.write_batch)
    b = out["build"]
    print(f"[large]   {b['papers']} papers / {b['chunks']} chunks written in {b['write_total_s']:.0f} s; "
          f"BM25 build {b['bm25_build_s']:.1f} s", flush=True)
    print("[large] search, embedded (PersistentClient) ...", flush=True)
    out["embedded"] = run_worker("search", work / "search-embedded.json", home=home, passes=args.passes)
    print(f"[large]   p50 {out['embedded']['stats']['total']['p50']:.1f} ms", flush=True)

    copy = work / "server-chroma"
    t = time.perf_counter()
    shutil.copytree(home / "chroma", copy)
    out["copy_s"] = time.perf_counter() - t
    print("[large] search, Chroma server (chroma run on a copy of the same directory) ...", flush=True)
    server = ChromaServer(copy, work / "chroma-server.log")
    try:
        out["server_ready_s"] = server.ready_s
        out["server_idle"] = server.memory_kb()
        cpu, t = server.cpu_s(), time.perf_counter()
        out["server"] = run_worker("search", work / "search-server.json", home=home, chroma_url=server.url,
                                   passes=args.passes)
        out["server_cpu"] = {"cpu_s": server.cpu_s() - cpu, "wall_s": time.perf_counter() - t}
        out["server_mem"] = server.memory_kb()
        print(f"[large]   p50 {out['server']['stats']['total']['p50']:.1f} ms; server VmHWM "
              f"{out['server_mem']['hwm_kb'] / 1024:.0f} MiB", flush=True)
        if args.server_write_papers:
            print(f"[large] write throughput through the server ({args.server_write_papers} papers) ...", flush=True)
            out["server_write"] = run_worker("server-write", work / "server-write.json", home=work / "write-home",
                                             chroma_url=server.url, papers=args.server_write_papers,
                                             vectors=vectors, write_batch=args.write_batch)
    finally:
        server.stop()
    out["load_after"] = load()
    return out


# --- report ----------------------------------------------------------------------------------------
def mib(kb: float) -> str:
    return f"{kb / 1024:,.0f} MiB"


def latency_table(columns: list[tuple[str, dict[str, Any]]]) -> list[str]:
    head = "| stage | " + " | ".join(f"{name} p50 ms | {name} p95 ms" for name, _ in columns) + " |"
    lines = [head, "|---|" + "---:|---:|" * len(columns)]
    rows = [("total", "**total Retriever.search**"), ("total_unfiltered", "total, questions without author/year"),
            ("total_filtered", "total, questions naming an author/year (filtered)"), *STAGES]
    for key, label in rows:
        if any(key not in r["stats"] for _, r in columns):
            continue
        if key == "count" and all(r["stats"]["count"]["p95"] == 0 for _, r in columns):
            continue  # store.query no longer calls count()
        cells = []
        for _, r in columns:
            s = r["stats"][key]
            bold = "**" if key == "total" else ""
            cells.append(f"{bold}{s['p50']:.1f}{bold} | {bold}{s['p95']:.1f}{bold}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def filtered_note(columns: list[tuple[str, dict[str, Any]]]) -> list[str]:
    parts = [f"{name} {r['filtered_mean_ms']['total']:.0f} ms, of which {r['filtered_mean_ms']['other']:.0f} ms "
             f"'other' and {r['filtered_mean_ms']['chroma']:.0f} ms Chroma query"
             for name, r in columns if r.get("filtered_mean_ms")]
    if not parts:
        return []
    return ["", "Mean of the filtered searches alone: " + "; ".join(parts) + ". 'Other' there is mostly the Python "
            "metadata filter (`Retriever._allowed`, and `papers_by` when fewer than k papers were found)."]


def render(res: dict[str, Any]) -> str:
    m, s = res["machine"], res["settings"]
    L: list[str] = [START, "## Retrieval: ingest throughput and search latency (`bench_retrieval.py`)", ""]
    L += [f"- Date: {res['date']}; command: `{res['command']}`; total run time {res['run_s'] / 60:.1f} min.",
          f"- Machine: {m['nproc']} CPU cores (nproc), {m['cpu']}, {m['mem_gib']:.0f} GiB RAM, {m['python']}; "
          f"**shared with other jobs while this ran**: load average (1/5/15 min) {m['load_start']} at start, "
          f"{m['load_end']} at end (a load above 2 means the 2 cores were oversubscribed, so every figure "
          "here is pessimistic and noisy).",
          f"- Code: papertrail {m.get('code', '?')}; chromadb {m['chromadb']}, bm25s {m['bm25s']}, torch {m['torch']}.",
          f"- Settings: embedding `{s['embedding']}` (local, CPU, batch {s['batch_size']}); chunks "
          f"{s['chunk_tokens']} tokens, overlap {s['overlap_tokens']}; retrieval k={K}, dense_chunks "
          f"{s['dense_chunks']}, bm25_candidates {s['bm25_candidates']}, rrf_k {s['rrf_k']}; ingest WRITE_BATCH "
          f"{s['write_batch']} papers.", ""]

    ing = res.get("ingest")
    L += ["### 1. Ingest throughput, bundled corpus", ""]
    if ing:
        L += carried(res, ing)
        n, c = ing["papers"], ing["chunks"]
        sp = ing["split"]
        e1, e2 = ing["embed_runs"]
        L += [f"{n} papers, {c} chunks (data/corpus) into a fresh temporary home; model loaded beforehand. "
              f"The embedder alone ran on the same {c} chunk texts in the same groups (the chunks of "
              f"{ing['write_batch']} papers per `embed` call), once before and once after the ingest.", "",
              "| run | seconds | papers/s | chunks/s |", "|---|---:|---:|---:|",
              f"| whole `ingest()` | {ing['ingest_s']:.1f} | {n / ing['ingest_s']:.1f} | {c / ing['ingest_s']:.1f} |",
              f"| embedder alone, before ingest | {e1:.1f} | {n / e1:.1f} | {c / e1:.1f} |",
              f"| embedder alone, after ingest | {e2:.1f} | {n / e2:.1f} | {c / e2:.1f} |",
              f"| embedder alone, mean | {ing['embed_s']:.1f} | {n / ing['embed_s']:.1f} | {c / ing['embed_s']:.1f} |",
              "",
              f"**Ingest overhead = ingest / embed-alone − 1 = {ing['overhead'] * 100:+.1f}%** (goal ≤ 20%). "
              f"Within the same run (less exposed to the changing load): embedding took {sp['embed']:.1f} s of "
              f"the {ing['ingest_s']:.1f} s, so everything else added {ing['inrun_overhead'] * 100:.1f}%.", "",
              "Where the ingest time went:", "", "| step | seconds | share |", "|---|---:|---:|"]
        rows = [("parse + merge files", sp.get("parse", 0)), ("chunking (SentenceSplitter + tiktoken)", sp.get("chunk", 0)),
                ("embedding (MiniLM)", sp.get("embed", 0)), ("Chroma writes (`write_papers`)", sp.get("write", 0)),
                ("stored hashes lookup", sp.get("hashes", 0)),
                ("BM25 refresh: read papers back", sp.get("bm25_read", 0)),
                ("BM25 refresh: build", sp.get("bm25_build", 0)), ("BM25 refresh: save", sp.get("bm25_save", 0)),
                ("BM25 refresh: rest (fingerprint)", sp.get("bm25", 0) - sp.get("bm25_read", 0) - sp.get("bm25_build", 0) - sp.get("bm25_save", 0)),
                ("other (loop, lock, file listing)", sp.get("other", 0))]
        L += [f"| {name} | {sec:.2f} | {sec / ing['ingest_s'] * 100:.1f}% |" for name, sec in rows]
        L += [""]
    else:
        L += ["Not run.", ""]

    small, alt = res.get("search_small"), res.get("search_small_alt")
    L += ["### 2. Search latency, bundled corpus", ""]
    if small:
        L += carried(res, small)
        L += [f"`Retriever.search(q, k={K})` over the {small['queries']} questions of "
              f"evals/questions/retrieval.jsonl, {small['passes']} passes ({small['queries'] * small['passes']} "
              f"searches) after 6 warm-up searches, model loaded, embedded Chroma, in a child process; "
              f"{small['filtered_queries']} of the questions name an author or year and so run filtered. "
              f"{small['papers']} papers, {small['chunks']} chunks. Goal: < 50 ms. Run twice: as shipped "
              f"(the query embedded on {small['query_threads']} torch thread(s))"
              + (f" and with every embed on {alt['query_threads']} torch thread(s) (`torch.set_num_threads`, "
                 "`assistant.embedder.SMALL_BATCH = 0`)" if alt else "") + ".", ""]
        cols = [(f"shipped, {small['query_threads']}t", small)] + ([(f"{alt['query_threads']}t", alt)] if alt else [])
        L += latency_table(cols)
        L += filtered_note(cols)
        L += ["", f"A separate `collection.count()` (which `ChromaStore.query` made before every query until "
              f"this benchmark; removed) costs p50 {small['count_alone']['p50']:.1f} ms / p95 "
              f"{small['count_alone']['p95']:.1f} ms here, timed right after embedding a query as it was.",
              f"Retriever start (catalog + BM25 load): {small['retriever_init_s']:.2f} s; first search "
              f"{small['first_query_ms']:.0f} ms; peak RSS of the search process {mib(small['maxrss_kb'])} "
              "(VmHWM; mostly torch + MiniLM).", ""]
    else:
        L += ["Not run.", ""]

    lg = res.get("large")
    L += [f"### 3. Search latency at {lg['build']['papers'] if lg else res['args']['papers']:,} papers", ""]
    if lg:
        L += carried(res, lg)
        b = lg["build"]
        sp = b["split"]
        L += ["**Synthetic data (not real papers).** Each paper recombines sentences of the corpus abstracts "
              "(about half from one 'base' corpus paper, the rest from any abstract; sentence count near the "
              "base's), with a title of 4-10 random corpus title words, 1-6 authors recombined from corpus first "
              f"and last names, a random 2012-2025 date (seed {SEED}). Papers are chunked with the real "
              "`chunk_paper`. **Chunk vectors are not MiniLM embeddings of these texts**: each is a real corpus "
              "chunk vector of the base paper plus Gaussian noise (σ = "
              f"{NOISE_SIGMA} per dimension, cosine ≈ 0.90 to its source), renormalized — embedding ~200k chunks "
              "on 2 shared cores would take hours. The vectors are therefore clustered around the corpus's "
              f"{res['ingest']['chunks'] if res.get('ingest') else '~1,274'} real chunk vectors, which is not "
              "how 100k real abstracts spread; HNSW latency should be similar, recall is not measured here.", "",
              f"Build (embedded PersistentClient, `ChromaStore.write_papers` in batches of {b['write_batch']} "
              "papers, as `ingest()` does; then `LexicalIndex.build` over the papers read back):", "",
              "| build step | seconds | rate |", "|---|---:|---:|",
              f"| generate papers | {sp.get('generate', 0):.1f} | |",
              f"| chunk (`chunk_paper`) | {sp.get('chunk', 0):.1f} | {b['papers'] / max(sp.get('chunk', 1e-9), 1e-9):,.0f} papers/s |",
              f"| synthesize vectors | {sp.get('vectors', 0):.1f} | |",
              f"| Chroma writes (`write_papers`) | {sp.get('write', 0):.1f} | {b['chunks'] / sp.get('write', 1e-9):,.0f} chunks/s, {b['papers'] / sp.get('write', 1e-9):,.0f} papers/s |",
              f"| **all of the above** | **{b['write_total_s']:.1f}** | |",
              f"| BM25: read papers back (`all_papers`) | {b['bm25_read_s']:.1f} | |",
              f"| BM25: `LexicalIndex.build` (+ fingerprint) | {b['bm25_build_s']:.1f} | {b['papers'] / b['bm25_build_s']:,.0f} papers/s |",
              f"| BM25: save | {b['bm25_save_s']:.1f} | |", "",
              f"{b['papers']:,} papers, {b['chunks']:,} chunks; Chroma directory {b['chroma_bytes'] / 2**30:.2f} GiB, "
              f"BM25 index {b['bm25_bytes'] / 2**20:.0f} MiB; peak RSS of the build process {mib(b['maxrss_kb'])}. "
              f"Server mode reuses this directory: the server serves a copy of it (`chroma run --path COPY`, "
              f"copied in {lg['copy_s']:.0f} s; server answered its heartbeat {lg['server_ready_s']:.1f} s after "
              "start), so no separate server-mode build was timed at this size.", ""]
        if lg.get("server_write"):
            w = lg["server_write"]
            L += [f"Write throughput through the server, for scale: {w['papers']:,} further synthetic papers "
                  f"({w['chunks']:,} chunks) via `write_papers` over HTTP in {w['seconds']:.1f} s = "
                  f"{w['chunks'] / w['seconds']:,.0f} chunks/s, {w['papers'] / w['seconds']:,.0f} papers/s "
                  "(into a separate collection, dropped afterwards).", ""]
        e, sv = lg["embedded"], lg["server"]
        L += [f"Search: same {e['queries']} questions × {e['passes']} passes, k={K}, each mode in its own "
              f"child process; {e['filtered_queries']} questions run filtered (the synthetic catalog also has "
              "author names and years).", ""]
        L += latency_table([("embedded", e), ("server", sv)])
        L += filtered_note([("embedded", e), ("server", sv)])
        L += ["", "| | embedded | server |", "|---|---:|---:|",
              f"| papers / chunks indexed | {e['papers']:,} / {e['chunks']:,} | {sv['papers']:,} / {sv['chunks']:,} |",
              f"| Retriever start (catalog + BM25 load) | {e['retriever_init_s']:.1f} s | {sv['retriever_init_s']:.1f} s |",
              f"| first search (cold HNSW) | {e['first_query_ms']:.0f} ms | {sv['first_query_ms']:.0f} ms |",
              f"| a separate `count()`, p50 / p95 (no longer made per search) | {e['count_alone']['p50']:.1f} / {e['count_alone']['p95']:.1f} ms | {sv['count_alone']['p50']:.1f} / {sv['count_alone']['p95']:.1f} ms |",
              f"| peak RSS, search process (VmHWM) | {mib(e['maxrss_kb'])} | {mib(sv['maxrss_kb'])} |",
              f"| peak RSS, chroma server (VmHWM) | — | {mib(lg['server_mem']['hwm_kb'])} (idle after start: {mib(lg['server_idle']['hwm_kb'])}) |",
              (f"| CPU used by the chroma server during the search run | — | {lg['server_cpu']['cpu_s']:.0f} s in "
               f"{lg['server_cpu']['wall_s']:.0f} s wall ({lg['server_cpu']['cpu_s'] / lg['server_cpu']['wall_s']:.2f} cores) |")
              if lg.get("server_cpu") else "| CPU used by the chroma server during the search run | — | not measured |",
              f"| load average after | {e['load']} | {sv['load']} |", ""]
    else:
        L += ["Not run (--skip-large)." if res["args"]["skip_large"] else "Not run.", ""]
    L += [END]
    return "\n".join(L)


PART_KEYS = {"ingest": ["ingest"], "search": ["search_small", "search_small_alt"], "large": ["large"]}


def carry_over(res: dict[str, Any], parts: set[str]) -> None:
    """Stamp this run on the parts it ran; take the parts it skipped from the last run, stamped with theirs."""
    this_run = {"date": res["date"], "command": res["command"], "load_start": res["machine"]["load_start"],
                "load_end": res["machine"]["load_end"], "code": res["machine"].get("code", "?")}
    last = CACHE / "retrieval-last.json"
    try:
        previous = json.loads(last.read_text())
    except (OSError, ValueError):
        previous = {}
    for part, keys in PART_KEYS.items():
        for key in keys:
            if part in parts and key in res:
                res[key]["run"] = this_run
            elif part not in parts and key in previous:
                res[key] = previous[key]
                res[key].setdefault("run", {"date": previous["date"], "command": previous["command"],
                                            "load_start": previous["machine"]["load_start"],
                                            "load_end": previous["machine"].get("load_end", "?")})


def carried(res: dict[str, Any], part: dict[str, Any]) -> list[str]:
    run = part.get("run")
    if not run or run["date"] == res["date"]:
        return []
    code = f"; code: {run['code']}" if run.get("code") else ""
    return [f"_Not rerun this time: carried over from the run of {run['date']} (`{run['command']}`{code}; load "
            f"{run['load_start']} at its start, {run['load_end']} at its end)._", ""]


def write_results(section: str) -> None:
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    if START in text and END in text:
        text = text[:text.index(START)] + section + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text)


def machine() -> dict[str, Any]:
    import bm25s
    import chromadb
    import torch

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "assistant", "ingest"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        code = f"commit {commit}" + (" + uncommitted changes in assistant/ or ingest/" if dirty else " (clean)")
    except (OSError, subprocess.CalledProcessError):
        code = "unknown (not a git checkout)"
    return {"nproc": os.cpu_count(), "cpu": cpu, "code": code, "mem_gib": mem, "python": platform.python_version(),
            "chromadb": chromadb.__version__, "bm25s": bm25s.__version__, "torch": torch.__version__,
            "load_start": load()}


# --- main --------------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=100_000, help="synthetic papers for part 3")
    parser.add_argument("--skip-large", action="store_true", help="parts 1-2 only")
    parser.add_argument("--parts", default="ingest,search,large", help="comma list of ingest,search,large")
    parser.add_argument("--passes", type=int, default=3, help="passes over the questions per search run")
    parser.add_argument("--write-batch", type=int, default=None, help="papers per write_papers call (part 3)")
    parser.add_argument("--server-write-papers", type=int, default=2000,
                        help="papers written through the Chroma server to measure its write throughput (0: skip)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary homes")
    parser.add_argument("--no-write", action="store_true",
                        help="print only, leave RESULTS.md and benchmarks/cache/retrieval-last.json alone")
    parser.add_argument("--render-only", action="store_true",
                        help="rewrite the RESULTS.md section from benchmarks/cache/retrieval-last.json")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--vectors", help=argparse.SUPPRESS)
    parser.add_argument("--chroma-url", help=argparse.SUPPRESS)
    parser.add_argument("--query-threads", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import ingest.pipeline as pipeline

    if args.write_batch is None:
        args.write_batch = pipeline.WRITE_BATCH
    if args.worker:
        worker = {"build": worker_build, "search": worker_search, "server-write": worker_server_write}[args.worker]
        Path(args.out).write_text(json.dumps(worker(args)))
        return

    if args.render_only:
        write_results(render(json.loads((CACHE / "retrieval-last.json").read_text())))
        print(f"wrote {RESULTS}")
        return
    parts = set(args.parts.split(","))
    if args.skip_large:
        parts.discard("large")
    started = time.perf_counter()
    CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-retrieval-", dir=CACHE))
    res: dict[str, Any] = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": ".venv/bin/python benchmarks/bench_retrieval.py " + " ".join(sys.argv[1:]),
        "args": vars(args), "machine": machine()}
    print(f"machine: {res['machine']['nproc']} cores, load {res['machine']['load_start']}; work dir {work}", flush=True)
    try:
        from assistant.embedder import make_embedder

        settings = make_settings(work / "corpus-home")
        res["settings"] = {"embedding": settings.embedding.name, "batch_size": settings.embedding.batch_size,
                           "chunk_tokens": settings.chunking.chunk_tokens,
                           "overlap_tokens": settings.chunking.overlap_tokens,
                           "dense_chunks": settings.retrieval.dense_chunks,
                           "bm25_candidates": settings.retrieval.bm25_candidates,
                           "rrf_k": settings.retrieval.rrf_k, "write_batch": pipeline.WRITE_BATCH}
        papers = corpus_papers()
        texts = [t for g in chunk_groups(papers, settings, pipeline.WRITE_BATCH) for t in g]
        vectors = vectors_cache_path(settings, texts)
        embedder = None
        if "ingest" in parts or "search" in parts or not vectors.exists():
            print("loading the embedder ...", flush=True)
            embedder = make_embedder(settings.embedding)
            embedder.embed(["warm-up text"] * 4)
        if "ingest" in parts:
            res["ingest"] = bench_ingest(embedder, work)
        elif "search" in parts or not vectors.exists():
            print("[setup] ingesting the corpus (untimed) ...", flush=True)
            from assistant.store import ChromaStore
            from ingest.chunk import chunk_paper

            store = ChromaStore(settings)
            pipeline.ingest([CORPUS], settings, store, embedder)
            if not vectors.exists():  # the ingest's own vectors, read back in chunk order
                ids = [c.chunk_id for p in papers for c in chunk_paper(p, settings.chunking)]
                got = store._chunks.get(ids=ids, include=["embeddings"])
                by_id = dict(zip(got["ids"], got["embeddings"]))
                np.save(vectors, np.asarray([by_id[i] for i in ids], dtype=np.float32))
            del store
        del embedder
        if "search" in parts:
            print("[search] bundled corpus ...", flush=True)
            res["search_small"] = run_worker("search", work / "search-small.json", home=work / "corpus-home",
                                             passes=args.passes)
            st = res["search_small"]["stats"]["total"]
            print(f"[search]   p50 {st['p50']:.1f} ms, p95 {st['p95']:.1f} ms", flush=True)
            alt = 2 if res["search_small"]["query_threads"] == 1 else 1
            print(f"[search] bundled corpus, queries embedded on {alt} torch thread(s) ...", flush=True)
            res["search_small_alt"] = run_worker("search", work / "search-small-alt.json",
                                                 home=work / "corpus-home", passes=args.passes, query_threads=alt)
            st = res["search_small_alt"]["stats"]["total"]
            print(f"[search]   p50 {st['p50']:.1f} ms, p95 {st['p95']:.1f} ms", flush=True)
        if "large" in parts:
            res["large"] = bench_large(args.papers, vectors, work, args)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    res["machine"]["load_end"] = load()
    res["run_s"] = time.perf_counter() - started
    carry_over(res, parts)
    if not args.no_write:
        (CACHE / "retrieval-last.json").write_text(json.dumps(res, indent=1, default=str))
    section = render(res)
    print(section)
    if not args.no_write:
        write_results(section)
        print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
