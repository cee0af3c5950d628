"""Error hierarchy: every message says what failed, on which input, and what to do next."""


class PapertrailError(Exception):
    """Base class; the CLI prints these as one line and exits 1."""


class ConfigError(PapertrailError):
    pass


class CorpusError(PapertrailError):
    def __init__(self, file: str, reason: str, line: int | None = None):
        self.file, self.reason, self.line = file, reason, line
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {reason}")


class StoreError(PapertrailError):
    pass


class EmptyStoreError(StoreError):
    def __init__(self, detail: str = ""):
        super().__init__(
            (detail + " " if detail else "")
            + "The index is empty: run `papertrail ingest` first (or `make run` to ingest the bundled corpus)."
        )


class IndexMismatchError(StoreError):
    pass


class ModelError(PapertrailError):
    pass


class ModelUnavailableError(ModelError):
    pass


class PromptError(PapertrailError):
    pass
