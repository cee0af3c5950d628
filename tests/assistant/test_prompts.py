"""Prompt templates: all load, render() checks placeholders both ways, and the code passes what they expect."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from assistant import prompts
from assistant.errors import PromptError

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(p.stem for p in (ROOT / "prompts").glob("*.md"))
# What the answer chain fills in, per template (system is sent as is).
EXPECTED = {
    "answer": {"sources", "question"},
    "answer_retry": set(),
    "answer_numbers": {"numbers"},
    "answer_names": {"names"},
    "difference": {"sources"},
    "judge": {"question", "title", "excerpt"},
    "rewrite": {"history", "question"},
    "summary": {"title", "abstract", "question"},
    "system": set(),
    "theme": {"topic", "theme", "sources"},
}


def placeholders(name: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", prompts.load(name)))


def test_every_template_is_known() -> None:
    assert set(TEMPLATES) == set(EXPECTED)


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_loads_and_has_the_expected_placeholders(name: str) -> None:
    text = prompts.load(name)
    assert text.strip()
    assert placeholders(name) == EXPECTED[name]
    assert re.fullmatch(r"[0-9a-f]{10}", prompts.template_hash(name))


@pytest.mark.parametrize("name", TEMPLATES)
def test_render_fills_every_placeholder(name: str) -> None:
    values = {key: f"<<{key.upper()}>>" for key in EXPECTED[name]}
    text = prompts.render(name, **values)
    for value in values.values():
        assert value in text
    assert not re.search(r"\{\w+\}", text)


@pytest.mark.parametrize("name", [n for n in TEMPLATES if EXPECTED[n]])
def test_render_rejects_a_missing_placeholder(name: str) -> None:
    values = {key: "x" for key in EXPECTED[name]}
    missing = sorted(values)[0]
    del values[missing]
    with pytest.raises(PromptError, match=missing):
        prompts.render(name, **values)


@pytest.mark.parametrize("name", TEMPLATES)
def test_render_rejects_an_extra_placeholder(name: str) -> None:
    values = {key: "x" for key in EXPECTED[name]} | {"unexpected": "x"}
    with pytest.raises(PromptError, match="unexpected"):
        prompts.render(name, **values)


def test_missing_template_is_a_prompt_error() -> None:
    with pytest.raises(PromptError, match="prompts/no_such_template.md"):
        prompts.load("no_such_template")


def test_values_are_not_rendered_again() -> None:
    """An abstract that contains "{question}" stays literal text: values are never templates."""
    text = prompts.render("answer", sources="[S1] Paper\nIt says {question} and {sources}.", question="Q?")
    assert "It says {question} and {sources}." in text
    assert text.count("Q?") == 1


def test_sources_sit_inside_the_sources_block() -> None:
    for name in ("answer", "difference", "theme"):
        values = {key: "x" for key in EXPECTED[name]} | {"sources": "SOURCE-TEXT"}
        text = prompts.render(name, **values)
        assert text.index("<sources>") < text.index("SOURCE-TEXT") < text.index("</sources>")


def test_system_prompt_says_sources_are_data() -> None:
    assert "not instructions" in prompts.load("system")


def render_calls() -> list[tuple[str, str, set[str]]]:
    """(file:line, template, keyword names) of every prompts.render call with a literal template name."""
    calls = []
    for path in sorted((ROOT / "assistant").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "render"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "prompts"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                if any(k.arg is None for k in node.keywords):  # **values: checked by the chain tests
                    continue
                calls.append((f"{path.name}:{node.lineno}", node.args[0].value, {k.arg for k in node.keywords}))
    return calls


def test_code_passes_each_template_its_placeholders() -> None:
    calls = render_calls()
    assert {template for _, template, _ in calls} >= {"rewrite", "answer", "answer_retry", "answer_numbers", "answer_names", "summary",
                                                     "judge", "theme", "difference"}
    wrong = [(where, template, sorted(names), sorted(placeholders(template)))
             for where, template, names in calls if names != placeholders(template)]
    assert not wrong
