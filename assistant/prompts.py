"""Prompt templates from prompts/*.md, checked against the placeholders their caller supplies."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from importlib import resources

from assistant.errors import PromptError

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@lru_cache(maxsize=None)
def load(name: str) -> str:
    try:
        return resources.files("prompts").joinpath(f"{name}.md").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PromptError(f"prompt template prompts/{name}.md is missing; reinstall papertrail.") from None


def render(name: str, **values: str) -> str:
    """Fill a template; its placeholders must be exactly the given names."""
    template = load(name)
    wanted = set(_PLACEHOLDER.findall(template))
    if wanted != set(values):
        raise PromptError(f"prompts/{name}.md expects {sorted(wanted)} but was given {sorted(values)}.")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def template_hash(name: str) -> str:
    return hashlib.sha1(load(name).encode()).hexdigest()[:10]
