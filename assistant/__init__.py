"""papertrail: cited answers about a corpus of ML papers. `from assistant import Assistant`."""

from typing import Any

__all__ = ["Assistant", "Settings"]


def __getattr__(name: str) -> Any:  # lazy: importing the package must not load torch or chromadb
    if name == "Assistant":
        from assistant.api import Assistant

        return Assistant
    if name == "Settings":
        from assistant.settings import Settings

        return Settings
    raise AttributeError(name)
