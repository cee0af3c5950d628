"""Latency of the local chat model (packaged Qwen2.5-Coder-1.5B Q4_K_M) through the embedded llama.cpp server.

For a typical RAG prompt (~1,500 tokens: system prompt + abstract excerpts + question) it measures, as
the client sees it, time to first token (TTFT), total time and prompt/generation speed, next to
llama.cpp's own figures (the `llama_perf_context_print` lines the server writes to its log for each
request). Configurations: n_threads 1 and 2; and --cache off/on for a conversation that reuses the
system prompt and the excerpts.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_llm.py [--gguf OTHER.gguf] [--out FILE.md]

Appends a run to benchmarks/llm_results.md. Takes about 5-10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import time
from dataclasses import dataclass
from pathlib import Path

from assistant.llm import ChatClient
from assistant.llm_server import LocalServer
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
BENCH_HOME = ROOT / "benchmarks" / "cache" / "llm-home"
RESULTS = ROOT / "benchmarks" / "llm_results.md"
CORPUS = ROOT / "data" / "corpus"

SYSTEM = (
    "You are papertrail, an assistant that answers questions about machine-learning research papers. "
    "Answer only from the numbered excerpts in the user's message; each excerpt is the abstract or a passage "
    "of one paper. Cite the excerpts you use as [n] right after the claim they support. If the excerpts do not "
    "contain the answer, say so plainly instead of guessing, and name the closest excerpt if one is related. "
    "Be concise: at most two short paragraphs or a short list. Do not invent paper titles, authors, numbers "
    "or results, and do not repeat the question. Use plain text without markdown headings."
)
CONTEXT_TOKENS = 1350  # excerpts per prompt; with system prompt, template and question: ~1,500 tokens


@dataclass
class Step:
    label: str
    context: str  # "A" or "B"
    question: str
    max_tokens: int


@dataclass
class Measure:
    config: str
    step: str
    prompt_tokens: int  # whole prompt, as llama.cpp counts it (reused prefix + evaluated)
    evaluated: int  # prompt tokens llama.cpp actually evaluated
    ttft_s: float
    total_s: float
    deltas: int
    client_prompt_tps: float
    llama_prompt_tps: float
    client_gen_tps: float
    llama_gen_tps: float
    cache_hit: bool
    load1: float  # 1-minute load average when the request ended: other jobs share these 2 cores


COLD = Step("RAG prompt A, cold", "A", "Summarise what each excerpt proposes, one sentence per excerpt, citing it.", 200)
CONVERSATION = [
    COLD,
    Step("follow-up on A", "A", "Which of these papers report results on real data?", 32),
    Step("new prompt B (same system prompt)", "B", "What problem does the first excerpt address?", 32),
    Step("back to A after B", "A", "Which excerpt is most related to neuroscience?", 32),
]
CONFIGS = [  # (label, threads, prompt cache, steps)
    ("threads=1, cache off", 1, False, CONVERSATION),
    ("threads=1, cache on", 1, True, CONVERSATION),
    ("threads=2, cache off", 2, False, [COLD]),
]


HEADER = """## Local chat model (llama.cpp server)

Model {model}, n_ctx 4096, temperature 0, max_tokens 200 for the cold prompt and 32 for the others, streamed
through `ChatClient`; {cores} CPU cores ({cpu}). Each run of `benchmarks/bench_llm.py` appends a section.

Client figures: prompt tok/s = evaluated prompt tokens / TTFT (includes HTTP, chat templating and the first
sampling step); gen tok/s = (deltas - 1) / time from first to last delta. llama.cpp figures come from the
server's own `llama_perf_context_print` lines for the same request. `prompt tok (evaluated)`: the whole prompt
and the part llama.cpp had to evaluate, the rest being reused from its KV cache (the previous request's prefix)
or, with `--cache`, restored from the RAM prompt cache ("cache hit"). With the cache on, total time includes
saving the state after each answer. `load avg`: 1-minute load average at the end of the request (other jobs
share the machine).

"""


def excerpts(files: list[Path], budget: int, count_tokens) -> str:
    """Numbered abstract-like paragraphs (long prose lines) from corpus files, up to `budget` tokens."""
    parts: list[str] = []
    used = 0
    for path in files:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            line = line.strip()
            if not 400 <= len(line) <= 2000:
                continue
            piece = f"[{len(parts) + 1}] {line}"
            tokens = count_tokens(piece)
            if used + tokens > budget:
                return "\n\n".join(parts)
            parts.append(piece)
            used += tokens
    return "\n\n".join(parts)


def messages(context: str, question: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Excerpts:\n\n{context}\n\nQuestion: {question}"},
    ]


def llama_figures(log_text: str) -> dict[str, float]:
    """llama.cpp's own timings for the one request whose log lines are in log_text."""
    figures = {"reused": 0.0, "cache_hit": 0.0}
    if match := re.search(r"(\d+) prefix-match hit, remaining (\d+) prompt tokens", log_text):
        figures["reused"] = float(match.group(1))
    if match := re.search(r"prompt eval time =\s*([\d.]+) ms /\s*(\d+) tokens", log_text):
        figures["p_ms"], figures["p_n"] = float(match.group(1)), float(match.group(2))
    if match := re.search(r"\n\S+:\s+eval time =\s*([\d.]+) ms /\s*(\d+) runs", log_text):
        figures["e_ms"], figures["e_n"] = float(match.group(1)), float(match.group(2))
    figures["cache_hit"] = float("_create_completion: cache hit" in log_text)
    return figures


def run_step(client: ChatClient, server: LocalServer, config: str, step: Step, contexts: dict[str, str]) -> Measure:
    offset = server.log_file.stat().st_size
    started = time.perf_counter()
    first = last = None
    deltas = 0
    for _ in client.stream(messages(contexts[step.context], step.question), max_tokens=step.max_tokens, temperature=0):
        last = time.perf_counter()
        first = first or last
        deltas += 1
    total = time.perf_counter() - started
    time.sleep(0.3)  # let the server finish writing its log lines
    with open(server.log_file, "rb") as log:
        log.seek(offset)
        figures = llama_figures(log.read().decode("utf-8", errors="replace"))
    assert first is not None and last is not None, "the model produced no text"
    ttft = first - started
    evaluated = int(figures.get("p_n", 0))
    return Measure(
        config=config, step=step.label,
        prompt_tokens=int(figures["reused"]) + evaluated, evaluated=evaluated,
        ttft_s=ttft, total_s=total, deltas=deltas,
        client_prompt_tps=evaluated / ttft,
        llama_prompt_tps=figures["p_n"] / figures["p_ms"] * 1000 if figures.get("p_ms") else 0.0,
        client_gen_tps=(deltas - 1) / (last - first) if deltas > 1 and last > first else 0.0,
        llama_gen_tps=figures["e_n"] / figures["e_ms"] * 1000 if figures.get("e_ms") else 0.0,
        cache_hit=bool(figures["cache_hit"]),
        load1=os.getloadavg()[0],
    )


def table(rows: list[Measure], loads: dict[str, float]) -> str:
    header = (
        "| config | request | prompt tok (evaluated) | TTFT s | total s | deltas "
        "| prompt tok/s client / llama.cpp | gen tok/s client / llama.cpp | load avg |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = [
        f"| {m.config} (server start {loads[m.config]:.1f} s) | {m.step}{' (cache hit)' if m.cache_hit else ''} "
        f"| {m.prompt_tokens} ({m.evaluated}) | {m.ttft_s:.2f} | {m.total_s:.2f} | {m.deltas} "
        f"| {m.client_prompt_tps:.1f} / {m.llama_prompt_tps:.1f} | {m.client_gen_tps:.1f} / {m.llama_gen_tps:.1f} | {m.load1:.1f} |"
        for m in rows
    ]
    return header + "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gguf", type=Path, help="benchmark this GGUF instead of the packaged Qwen model")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"markdown file to append to (default {RESULTS})")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    base = Settings()
    print(f"locating the model (assembling the Qwen GGUF under {base.home / 'models'} if needed) ...", flush=True)
    started = time.perf_counter()
    gguf = args.gguf.resolve() if args.gguf else LocalServer(base).model_path()
    print(f"  {gguf} ({time.perf_counter() - started:.1f} s)", flush=True)

    from llama_cpp import Llama  # tokenizer only, to size the excerpts

    vocab = Llama(model_path=str(gguf), vocab_only=True, verbose=False)
    count = lambda text: len(vocab.tokenize(text.encode("utf-8"), add_bos=False))  # noqa: E731
    files = sorted(CORPUS.glob("*.txt"))
    contexts = {"A": excerpts(files[:1], CONTEXT_TOKENS, count), "B": excerpts(files[2:], CONTEXT_TOKENS, count)}

    load_before = os.getloadavg()
    rows: list[Measure] = []
    loads: dict[str, float] = {}
    try:
        for label, threads, cache, steps in CONFIGS:
            settings = Settings(
                home=BENCH_HOME,
                model={"gguf_path": str(gguf), "threads": threads, "context_size": 4096, "prompt_cache": cache},
            )
            server = LocalServer(settings)
            started = time.perf_counter()
            server.ensure_running()  # replaces the previous configuration's server
            loads[label] = time.perf_counter() - started
            client = ChatClient(settings)
            for step in steps:
                measure = run_step(client, server, label, step, contexts)
                rows.append(measure)
                print(
                    f"{label:22} {step.label:34} prompt {measure.prompt_tokens:5} eval {measure.evaluated:5} "
                    f"TTFT {measure.ttft_s:6.2f}s total {measure.total_s:6.2f}s "
                    f"prompt {measure.client_prompt_tps:5.1f}/{measure.llama_prompt_tps:5.1f} tok/s "
                    f"gen {measure.client_gen_tps:5.1f}/{measure.llama_gen_tps:5.1f} tok/s",
                    flush=True,
                )
    finally:
        LocalServer(Settings(home=BENCH_HOME)).stop()
    load_after = os.getloadavg()

    run = (
        f"### Run {time.strftime('%Y-%m-%d %H:%M')}\n\n"
        f"Load average {load_before[0]:.2f} before / {load_after[0]:.2f} after.\n\n" + table(rows, loads) + "\n"
    )
    if not args.out.exists():
        args.out.write_text(HEADER.format(model=gguf.name, cores=os.cpu_count(), cpu=platform.machine()), encoding="utf-8")
    with open(args.out, "a", encoding="utf-8") as out:
        out.write(run)
    print("\n" + run)
    print(f"appended to {args.out}")


if __name__ == "__main__":
    main()
