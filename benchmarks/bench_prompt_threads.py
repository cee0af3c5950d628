"""Prompt-reading speed of the packaged Qwen GGUF by llama.cpp thread count (what `model.batch_threads` sets).

    .venv/bin/python benchmarks/bench_prompt_threads.py --gguf HOME/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf

Loads the model in-process with llama-cpp-python, evaluates the same 400-token prompt (corpus text) twice per
thread count from a cleared KV cache, and appends a table to benchmarks/llm_results.md. Generation threads
stay 1: they are measured by bench_llm.py.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from llama_cpp import Llama

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "llm_results.md"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gguf", type=Path, required=True)
    parser.add_argument("--threads", default="1,2", help="batch thread counts to try, comma-separated")
    args = parser.parse_args()
    text = sorted((ROOT / "data" / "corpus").glob("*.txt"))[0].read_text(encoding="utf-8")[:6000]
    load_before = os.getloadavg()[0]
    rows = []
    for threads in [int(t) for t in args.threads.split(",")]:
        llm = Llama(str(args.gguf), n_ctx=2048, n_threads=1, n_threads_batch=threads, n_batch=512, verbose=False)
        tokens = llm.tokenize(text.encode("utf-8"))[:400]
        speeds = []
        for _ in range(2):
            llm.reset()
            started = time.perf_counter()
            llm.eval(tokens)
            speeds.append(len(tokens) / (time.perf_counter() - started))
        rows.append((threads, len(tokens), speeds))
        print(f"batch threads {threads}: " + ", ".join(f"{s:.1f}" for s in speeds) + " prompt tokens/s", flush=True)
        del llm
    lines = [f"\n### Prompt reading by thread count, {time.strftime('%Y-%m-%d %H:%M')}\n",
             f"`benchmarks/bench_prompt_threads.py`, {os.cpu_count()} cores, load average {load_before:.2f} before / "
             f"{os.getloadavg()[0]:.2f} after; n_threads (generation) 1, n_batch 512, {rows[0][1]} prompt tokens.\n",
             "| n_threads_batch | prompt tokens/s, run 1 | run 2 |", "|---|---|---|"]
    lines += [f"| {t} | {s[0]:.1f} | {s[1]:.1f} |" for t, _, s in rows]
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
