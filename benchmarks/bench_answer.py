"""Answer latency with the embedded model: time to first token, total, and what the pipeline adds.

    .venv/bin/python benchmarks/bench_answer.py [--questions 6] [--home DIR]

Ingests the bundled corpus into DIR if needed, asks typical single-fact questions from
evals/questions/answers.jsonl through `Assistant.stream`, and splits each answer's time into model time
(every chat request, first byte to last token, measured around the client) and the rest (retrieval,
prompt building, citation checks). Writes a section into benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.api import Assistant  # noqa: E402
from assistant.llm import ChatClient  # noqa: E402
from assistant.records import Answer  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.tokens import count_tokens  # noqa: E402


class TimedChatClient:
    """Delegates to a ChatClient and adds up the seconds spent inside model calls."""

    def __init__(self, client: ChatClient):
        self.client = client
        self.seconds = 0.0
        self.prompt_tokens = 0
        self.output_tokens = 0
        self.calls = 0

    def complete(self, messages: list[dict[str, Any]], **kwargs: Any) -> str:
        started = time.perf_counter()
        text = self.client.complete(messages, **kwargs)
        self.seconds += time.perf_counter() - started
        self._count(messages, text)
        return text

    def stream(self, messages: list[dict[str, Any]], **kwargs: Any) -> Iterator[str]:
        started = time.perf_counter()
        text = ""
        for delta in self.client.stream(messages, **kwargs):
            self.seconds += time.perf_counter() - started
            text += delta
            yield delta
            started = time.perf_counter()
        self.seconds += time.perf_counter() - started
        self._count(messages, text)

    def _count(self, messages: list[dict[str, Any]], text: str) -> None:
        self.calls += 1
        self.prompt_tokens += sum(count_tokens(m["content"]) for m in messages)
        self.output_tokens += count_tokens(text)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=6)
    parser.add_argument("--home", type=Path, default=ROOT / "benchmarks" / "cache" / "answer-home")
    parser.add_argument("--note", default="", help="a paragraph written under the table (what else was measured)")
    args = parser.parse_args()
    settings = Settings(home=args.home)
    assistant = Assistant(settings)
    if assistant.store.paper_count() == 0:
        assistant.ingest([ROOT / "data" / "corpus"])
    rows = [json.loads(line) for line in (ROOT / "evals" / "questions" / "answers.jsonl").read_text().splitlines() if line]
    questions = [r["question"] for r in rows if r["kind"] == "fact"][: args.questions]
    timed = TimedChatClient(ChatClient(settings))
    chain = assistant.chain
    chain.llm = timed  # type: ignore[assignment]
    chain.llm.complete([{"role": "user", "content": "Say OK."}], max_tokens=2)  # start + warm the server
    results = []
    for question in questions:
        timed.seconds = 0.0
        timed.prompt_tokens = timed.output_tokens = timed.calls = 0
        started = time.perf_counter()
        first = None
        answer = None
        for item in assistant.stream(question):
            if isinstance(item, str) and first is None:
                first = time.perf_counter() - started
            if isinstance(item, Answer):
                answer = item
        total = time.perf_counter() - started
        results.append({"question": question[:60], "first_token_s": first, "total_s": total, "model_s": timed.seconds,
                        "prompt_tokens": timed.prompt_tokens, "output_tokens": timed.output_tokens,
                        "calls": timed.calls, "cited": len(answer.citations) if answer else 0,
                        "extractive": bool(answer and answer.extractive)})
        print(json.dumps(results[-1]), flush=True)
    firsts = [r["first_token_s"] for r in results if r["first_token_s"] is not None]
    overhead = [r["total_s"] / r["model_s"] - 1 for r in results if r["model_s"]]
    summary = {
        "first_token_median_s": statistics.median(firsts) if firsts else None,
        "total_median_s": statistics.median(r["total_s"] for r in results),
        "pipeline_overhead_median": statistics.median(overhead) if overhead else None,
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps(summary))
    write_results(results, summary, settings, args.note)
    return 0


def write_results(results: list[dict[str, Any]], summary: dict[str, Any], settings: Settings, note: str = "") -> None:
    lines = [
        "## Answer latency (embedded model)", "",
        f"Command: `.venv/bin/python benchmarks/bench_answer.py`  ·  {time.strftime('%Y-%m-%d %H:%M')}  ·  "
        f"{os.cpu_count()} cores, load average {summary['load_average']:.1f}  ·  model {settings.llm_name}, "
        f"threads {settings.model.threads} (prompt: {settings.model.batch_threads or os.cpu_count()}), "
        f"context budget {settings.answer.context_tokens} tokens", "",
        "| question | first token s (– = nothing streamed: refusal or fallback) | total s | model s | model calls | "
        "prompt tok (all calls) | output tok | cited | extractive |", "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        first = "–" if r["first_token_s"] is None else f"{r['first_token_s']:.1f}"
        lines.append(f"| {r['question']} | {first} | {r['total_s']:.1f} | {r['model_s']:.1f} | "
                     f"{r['calls']} | {r['prompt_tokens']} | {r['output_tokens']} | {r['cited']} | "
                     f"{'yes' if r['extractive'] else 'no'} |")
    ov = summary["pipeline_overhead_median"]
    lines += ["", f"Median first token: {summary['first_token_median_s'] or 0:.1f} s (goal ≤ 6 s). Median total: "
              f"{summary['total_median_s']:.1f} s. Pipeline time on top of model time (median): "
              f"{(ov or 0) * 100:.1f}% (goal ≤ 15%).", ""] + ([note, ""] if note else [])
    replace_section(ROOT / "benchmarks" / "RESULTS.md", "answer", "\n".join(lines))


def replace_section(path: Path, name: str, body: str) -> None:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    block = f"{start}\n{body}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
