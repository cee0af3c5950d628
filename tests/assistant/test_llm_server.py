"""LocalServer with a real llama.cpp server on the tiny SmolLM2 GGUF, and model assembly on real part files."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.errors import ModelError, ModelUnavailableError
from assistant.llm import ChatClient
from assistant.llm_server import QWEN_SIZE, LocalServer, assemble_model, qwen_part_paths
from assistant.settings import Settings

QUESTION = [{"role": "user", "content": "Name three primary colors."}]
ROOT = Path(__file__).resolve().parents[2]


def tiny_settings(home: Path, gguf: Path, **model: object) -> Settings:
    return Settings(
        home=home, model={"gguf_path": str(gguf), "threads": 1, "context_size": 2048, "start_timeout_s": 120, **model}
    )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def ensure_running_in_subprocess(settings: Settings) -> subprocess.Popen[str]:
    """Another papertrail process calling ensure_running for the same home; prints the URL."""
    code = (
        "import sys; from assistant.settings import Settings; from assistant.llm_server import LocalServer; "
        "print(LocalServer(Settings.model_validate_json(sys.argv[1])).ensure_running())"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, settings.model_dump_json()],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True,
    )


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, smollm2_gguf: Path) -> Settings:
    return tiny_settings(tmp_path_factory.mktemp("llm-home"), smollm2_gguf)


@pytest.fixture(scope="module")
def module_server(settings: Settings) -> Iterator[LocalServer]:
    """One real server for the module, stopped at the end."""
    local = LocalServer(settings)
    yield local
    local.stop()


@pytest.fixture
def server(module_server: LocalServer) -> LocalServer:
    """The module's server, (re)started if a previous test stopped or replaced it: tests run in any order."""
    module_server.ensure_running()
    return module_server


def test_status_shows_the_running_server(server: LocalServer, settings: Settings, smollm2_gguf: Path) -> None:
    status = server.status()
    assert status["running"] is True
    assert alive(status["pid"])
    assert status["url"] == f"http://127.0.0.1:{status['port']}/v1"
    assert status["model"] == str(smollm2_gguf.resolve())
    state = json.loads((settings.home / "llm" / "server.json").read_text())
    assert {"pid", "port", "model", "started"} <= state.keys()
    assert (settings.home / "llm" / "server.log").stat().st_size > 0


def test_second_instance_reuses_the_server(server: LocalServer, settings: Settings) -> None:
    before = server.status()
    assert LocalServer(settings).ensure_running() == before["url"]
    assert LocalServer(settings).status()["pid"] == before["pid"]


def test_another_process_reuses_the_server(server: LocalServer, settings: Settings) -> None:
    proc = ensure_running_in_subprocess(settings)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert out.strip() == server.status()["url"]


def test_complete_at_temperature_zero(server: LocalServer, settings: Settings) -> None:
    client = ChatClient(settings)
    text = client.complete(QUESTION, max_tokens=24, temperature=0)
    assert isinstance(text, str) and text.strip()
    assert client.base_url == server.status()["url"]


def test_stream_yields_several_deltas_matching_complete(server: LocalServer, settings: Settings) -> None:
    client = ChatClient(settings)
    deltas = list(client.stream(QUESTION, max_tokens=24, temperature=0))
    assert len(deltas) >= 3 and all(isinstance(d, str) for d in deltas)
    assert "".join(deltas) == client.complete(QUESTION, max_tokens=24, temperature=0)


def test_dead_server_is_replaced(server: LocalServer, settings: Settings) -> None:
    old = server.status()
    os.kill(old["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while server.status()["running"] and time.monotonic() < deadline:
        time.sleep(0.1)

    url = LocalServer(settings).ensure_running()
    new = server.status()
    assert new["running"] and new["url"] == url and new["pid"] != old["pid"]


def test_client_restarts_a_server_that_died_under_it(server: LocalServer, settings: Settings) -> None:
    client = ChatClient(settings)
    assert client.complete(QUESTION, max_tokens=4, temperature=0).strip()
    old = server.status()
    os.kill(old["pid"], signal.SIGKILL)

    assert client.complete(QUESTION, max_tokens=4, temperature=0).strip()
    new = server.status()
    assert new["running"] and new["pid"] != old["pid"] and client.base_url == new["url"]


def test_other_configuration_replaces_the_server(server: LocalServer, settings: Settings) -> None:
    old = server.status()
    changed = settings.with_overrides(**{"model.context_size": 1024})
    LocalServer(changed).ensure_running()
    new = LocalServer(changed).status()
    assert new["running"] and new["pid"] != old["pid"] and not alive(old["pid"])


def test_stop_stops_the_process(server: LocalServer, settings: Settings) -> None:
    pid = server.status()["pid"]
    assert server.stop() is True
    assert not alive(pid)
    assert server.status() == {"running": False, "pid": None, "port": None, "model": None, "url": None}
    assert not (settings.home / "llm" / "server.json").exists()
    assert server.stop() is False


def test_concurrent_starts_share_one_server(tmp_path: Path, smollm2_gguf: Path) -> None:
    settings = tiny_settings(tmp_path, smollm2_gguf)
    procs = [ensure_running_in_subprocess(settings) for _ in range(2)]
    try:
        urls = {proc.communicate(timeout=120)[0].strip() for proc in procs}
        assert all(proc.returncode == 0 for proc in procs)
        assert urls == {LocalServer(settings).status()["url"]}
    finally:
        LocalServer(settings).stop()


def test_missing_gguf_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        LocalServer(tiny_settings(tmp_path, tmp_path / "nope.gguf")).ensure_running()


def test_server_that_cannot_load_names_its_log(tmp_path: Path) -> None:
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"this is not a gguf file" * 100)
    local = LocalServer(tiny_settings(tmp_path, junk))
    with pytest.raises(ModelUnavailableError) as caught:
        local.ensure_running()
    message = str(caught.value)
    assert "\n" not in message and str(local.log_file) in message
    assert not local.state_file.exists()


# -- model assembly -----------------------------------------------------------------------------


@pytest.fixture
def parts(tmp_path: Path) -> list[Path]:
    paths = []
    for i, size in enumerate([1000, 70_000, 3]):
        path = tmp_path / "parts" / f"part{i + 1:02d}.bin"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(os.urandom(size))
        paths.append(path)
    return paths


def test_assemble_concatenates_and_checks_the_hash(tmp_path: Path, parts: list[Path]) -> None:
    whole = b"".join(p.read_bytes() for p in parts)
    dest = tmp_path / "models" / "model.gguf"

    assert assemble_model(dest, parts, size=len(whole), sha256=hashlib.sha256(whole).hexdigest()) == dest
    assert dest.read_bytes() == whole
    assert [p.name for p in dest.parent.iterdir()] == ["model.gguf"]  # no temp file left


def test_assemble_skips_an_existing_file_of_the_right_size(tmp_path: Path, parts: list[Path]) -> None:
    whole = b"".join(p.read_bytes() for p in parts)
    dest = tmp_path / "model.gguf"
    assemble_model(dest, parts, size=len(whole), sha256=hashlib.sha256(whole).hexdigest())
    for part in parts:
        part.unlink()
    assert assemble_model(dest, parts, size=len(whole), sha256="not checked again") == dest


def test_assemble_with_a_wrong_hash_leaves_nothing(tmp_path: Path, parts: list[Path]) -> None:
    size = sum(p.stat().st_size for p in parts)
    dest = tmp_path / "models" / "model.gguf"
    with pytest.raises(ModelError, match="sha256"):
        assemble_model(dest, parts, size=size, sha256="0" * 64)
    assert list(dest.parent.iterdir()) == []


def test_packaged_qwen_parts_are_installed_with_the_expected_total_size() -> None:
    paths = qwen_part_paths()
    assert len(paths) == 22
    assert sum(p.stat().st_size for p in paths) == QWEN_SIZE
