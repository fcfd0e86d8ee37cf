"""The local model plumbing without a model: packaged-file assembly and checks, the supervisor (against a
fake server script), settings, and the studio's fallback when the local model cannot start."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.services.llm import local_writer, start_local_model
from integrations.llm_server.local import LocalModel, resolve_model_file
from integrations.llm_server.models import (
    LocalModelError,
    ModelIntegrityError,
    ModelPart,
    PackagedModel,
    check_gguf,
    ensure_model,
    locate_parts,
)
from integrations.llm_server.supervisor import LlamaServer, ServerConfig, ServerState

FAKE = Path(__file__).with_name("fake_llama_server.py")


def fake_model(
    tmp_path: Path, chunks: list[bytes], sha: str | None = None
) -> tuple[PackagedModel, list[Path]]:
    paths = []
    for i, data in enumerate(chunks, start=1):
        path = tmp_path / f"part{i:02d}.bin"
        path.write_bytes(data)
        paths.append(path)
    whole = b"".join(chunks)
    model = PackagedModel(
        name="tiny-test",
        label="Tiny test model",
        parts=tuple(ModelPart(f"tiny-part{i}", f"tiny/part{i}.bin") for i in range(1, len(chunks) + 1)),
        size=len(whole),
        sha256=sha or hashlib.sha256(whole).hexdigest(),
        install="pip install tiny-part1 tiny-part2",
    )
    return model, paths


# -- assembly and checks --------------------------------------------------------------------------------


def test_assembles_chunks_once_and_trusts_the_stamp_later(tmp_path: Path) -> None:
    model, parts = fake_model(tmp_path, [b"GGUF" + b"a" * 5000, b"b" * 3000, b"c" * 17])
    models_dir = tmp_path / "models"
    target = ensure_model(model, models_dir, parts)
    assert target == models_dir / "tiny-test.gguf"
    assert target.read_bytes() == b"".join(p.read_bytes() for p in parts)
    stamp = json.loads((models_dir / "tiny-test.gguf.verified").read_text())
    assert stamp["sha256"] == model.sha256 and stamp["size"] == model.size
    assert [p.name for p in models_dir.iterdir() if p.name.endswith(".tmp")] == []
    # later starts: the chunks are not read again (they are gone here) — size + stamp suffice
    for p in parts:
        p.unlink()
    assert ensure_model(model, models_dir, parts) == target


def test_a_tampered_assembled_file_is_rebuilt_from_the_chunks(tmp_path: Path) -> None:
    model, parts = fake_model(tmp_path, [b"GGUF" + b"x" * 4000, b"y" * 4000])
    target = ensure_model(model, tmp_path / "models", parts)
    original = target.read_bytes()
    target.write_bytes(b"GGUF" + b"z" * (model.size - 4))  # same size, other content, new mtime
    assert ensure_model(model, tmp_path / "models", parts).read_bytes() == original


def test_sha256_mismatch_refuses_and_leaves_nothing(tmp_path: Path) -> None:
    model, parts = fake_model(tmp_path, [b"GGUF" + b"a" * 100, b"b" * 100], sha="0" * 64)
    models_dir = tmp_path / "models"
    with pytest.raises(ModelIntegrityError, match=r"Refusing to load Tiny test model.*reinstall"):
        ensure_model(model, models_dir, parts)
    assert not (models_dir / "tiny-test.gguf").exists()
    assert [p.name for p in models_dir.iterdir() if not p.name.endswith(".lock")] == []


def test_missing_packages_say_what_to_install() -> None:
    model = PackagedModel(
        name="nope",
        label="Nope model",
        parts=(ModelPart("pip", "pip/__init__.py"), ModelPart("no-such-dist-xyz", "x/part01.bin")),
        size=1,
        sha256="0" * 64,
        install="pip install no-such-dist-xyz",
    )
    with pytest.raises(LocalModelError, match=r"missing no-such-dist-xyz.*pip install no-such-dist-xyz"):
        locate_parts(model)


def test_chunks_are_found_through_the_distribution_file_list() -> None:
    model = PackagedModel(
        name="pip-as-data",
        label="pip",
        parts=(ModelPart("pip", "pip/__init__.py"),),
        size=1,
        sha256="0" * 64,
        install="",
    )
    [path] = locate_parts(model)
    assert path.is_file() and path.name == "__init__.py" and path.parent.name == "pip"
    listed_elsewhere = PackagedModel(
        name="x", label="x", parts=(ModelPart("pip", "pip/no_such_file.bin"),), size=1, sha256="0", install=""
    )
    with pytest.raises(LocalModelError, match="no_such_file"):
        locate_parts(listed_elsewhere)


def test_a_user_model_file_must_be_gguf(tmp_path: Path) -> None:
    good = tmp_path / "mine.gguf"
    good.write_bytes(b"GGUF\x03\x00\x00\x00")
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"<html>not a model</html>")
    assert check_gguf(good) == good
    with pytest.raises(LocalModelError, match="not a GGUF"):
        check_gguf(bad)
    with pytest.raises(LocalModelError, match="does not exist"):
        check_gguf(tmp_path / "missing.gguf")
    resolved = resolve_model_file(str(good), tmp_path / "models")
    assert resolved.path == good and resolved.alias == "mine"
    with pytest.raises(LocalModelError, match="does not exist"):
        resolve_model_file("qwen-99b", tmp_path / "models")


# -- settings ---------------------------------------------------------------------------------------------


def test_local_model_setting(tmp_path: Path) -> None:
    from agent.core.errors import ConfigError
    from agent.core.settings import load_settings

    assert load_settings(data_dir=tmp_path, local_model="AUTO", _env_file=None).local_model == "auto"
    assert (
        load_settings(data_dir=tmp_path, local_model="qwen-1.5b", _env_file=None).local_model == "qwen-1.5b"
    )
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    assert load_settings(data_dir=tmp_path, local_model=str(model), _env_file=None).local_model == str(model)
    with pytest.raises(ConfigError, match="STUDIO_LOCAL_MODEL: must be auto, off"):
        load_settings(data_dir=tmp_path, local_model=str(tmp_path / "missing.gguf"), _env_file=None)
    with pytest.raises(ConfigError, match="STUDIO_LOCAL_MODEL_THREADS"):
        load_settings(data_dir=tmp_path, local_model_threads=0, _env_file=None)


def test_tests_never_start_the_local_model_by_default(settings: Any) -> None:
    assert settings.local_model == "off"
    assert start_local_model(settings) is None


# -- the supervisor, against a fake server ----------------------------------------------------------------


def make_server(tmp_path: Path, mode: str, monkeypatch: pytest.MonkeyPatch, **overrides: Any) -> LlamaServer:
    monkeypatch.setenv("FAKE_LLAMA_MODE", mode)
    model = tmp_path / "fake.gguf"
    model.write_bytes(b"GGUF")
    config = dict(
        model_path=model,
        alias="fake-model",
        log_path=tmp_path / "logs" / "llm-server.log",
        start_timeout_s=15.0,
        health_interval_s=0.2,
        probe_timeout_s=0.5,
        unhealthy_after=2,
        backoff_base_s=0.05,
        backoff_max_s=0.2,
        stop_timeout_s=3.0,
        launcher=(sys.executable, str(FAKE)),
    )
    config.update(overrides)
    return LlamaServer(ServerConfig(**config))


def wait_for(check: Any, timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return bool(check())


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead too
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_starts_answers_only_with_its_key_and_stops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = make_server(tmp_path, "ok", monkeypatch)
    server.start()
    try:
        assert server.state is ServerState.READY and server.healthy()
        assert server.base_url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{server.base_url}/models").status_code == 401  # no key, no answer
        pid = server.pid
        assert pid is not None
    finally:
        server.stop()
    assert server.state is ServerState.STOPPED and server.pid is None
    assert wait_for(lambda: not alive(pid))
    assert "starting fake-model" in (tmp_path / "logs" / "llm-server.log").read_text()
    server.stop()  # twice is fine


def test_a_killed_server_is_restarted_on_the_same_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_server(tmp_path, "ok", monkeypatch)
    server.start()
    try:
        first, port = server.pid, server.port
        assert first is not None
        os.kill(first, signal.SIGKILL)
        assert wait_for(lambda: server.restarts == 1 and server.state is ServerState.READY)
        assert server.pid != first and server.port == port and server.healthy()
    finally:
        server.stop()


def test_a_wedged_server_is_restarted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = make_server(tmp_path, "ok", monkeypatch)
    server.start()
    try:
        first = server.pid
        (tmp_path / f"fake.gguf.hang-{first}").touch()  # this process stops answering anything
        assert wait_for(lambda: server.restarts >= 1 and server.state is ServerState.READY)
        assert server.pid != first
        assert wait_for(lambda: first is not None and not alive(first))
    finally:
        server.stop()


def test_a_crash_at_restart_is_retried_with_backoff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = make_server(tmp_path, "ok", monkeypatch)
    server.start()
    try:
        monkeypatch.setenv("FAKE_LLAMA_MODE", "crash")  # the next spawns fail to load
        pid = server.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        assert wait_for(lambda: server.restarts >= 2)
        monkeypatch.setenv("FAKE_LLAMA_MODE", "ok")
        assert wait_for(lambda: server.state is ServerState.READY and server.healthy())
    finally:
        server.stop()


def test_gives_up_after_max_restarts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = make_server(tmp_path, "ok", monkeypatch, max_restarts=2)
    server.start()
    try:
        monkeypatch.setenv("FAKE_LLAMA_MODE", "crash")
        pid = server.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        assert wait_for(lambda: server.state is ServerState.FAILED)
        assert server.restarts == 2
        assert server.last_error is not None and "giving up" in server.last_error
        assert not server.healthy()
    finally:
        server.stop()
    assert server.state is ServerState.FAILED


def test_a_server_that_cannot_load_fails_start_with_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_server(tmp_path, "crash", monkeypatch)
    with pytest.raises(LocalModelError, match=r"exited with code 3(.|\n)*failed to load model"):
        server.start()
    assert server.state is ServerState.FAILED and server.pid is None


def test_a_server_that_never_answers_fails_start_in_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_server(tmp_path, "hang", monkeypatch, start_timeout_s=1.5)
    with pytest.raises(LocalModelError, match="did not become ready within 2 s"):
        server.start()
    assert server.pid is None


def test_the_child_exits_when_the_studio_process_dies(tmp_path: Path) -> None:
    """The server is tied to its parent by a pipe: a studio killed with SIGKILL leaves no server behind."""
    import subprocess

    pid_file = tmp_path / "child.pid"
    script = f"""
import sys, time
from pathlib import Path
from integrations.llm_server.supervisor import LlamaServer, ServerConfig
s = LlamaServer(ServerConfig(model_path=Path({str(tmp_path / "m.gguf")!r}), alias="fake-model",
    log_path=Path({str(tmp_path / "log.txt")!r}), launcher=(sys.executable, {str(FAKE)!r})))
s.start()
Path({str(pid_file)!r}).write_text(str(s.pid))
time.sleep(600)
"""
    (tmp_path / "m.gguf").write_bytes(b"GGUF")
    studio = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "FAKE_LLAMA_MODE": "ok"})
    try:
        assert wait_for(pid_file.exists)
        child = int(pid_file.read_text())
        assert alive(child)
    finally:
        studio.kill()
        studio.wait()
    assert wait_for(lambda: not alive(child))


# -- the studio's choice of writer -----------------------------------------------------------------------


def test_studio_uses_the_template_writer_when_the_local_model_is_missing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from agent.core.settings import load_settings
    from agent.runtime.services import build_services, close_local_model

    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"<html>a download error page, not a model</html>")
    settings = load_settings(data_dir=tmp_path / "data", local_model=str(bad), _env_file=None)
    services = build_services(settings)
    try:
        assert services.writer.name == "template"
        assert services.backend == {"planner": "rules", "writer": "template"}
        assert services.local_model is None
        assert "Local model unavailable" in caplog.text and "not a GGUF model file" in caplog.text
    finally:
        close_local_model(services)
        services.engine.dispose()


def test_local_model_wraps_server_and_writer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = make_server(tmp_path, "ok", monkeypatch)
    server.start()
    from integrations.llm_server.local import ModelFile

    local = LocalModel(ModelFile(tmp_path / "fake.gguf", "fake-model", "Fake"), server)
    with local:
        writer = local_writer(local, timeout_s=5)
        assert writer.name == "llm:fake-model"
        chat = local.chat_model()
        assert chat.openai_api_base == server.base_url
    assert server.state is ServerState.STOPPED


def test_a_running_studios_model_server_is_shared_with_one_shot_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stat

    from agent.core.settings import load_settings
    from integrations.llm_server.local import ENDPOINT_FILE, ModelFile, attach_running

    server = make_server(tmp_path, "ok", monkeypatch, alias="fake")
    server.start()
    owner = LocalModel(ModelFile(tmp_path / "fake.gguf", "fake", "Fake"), server)
    data_dir = tmp_path / "data"
    owner.publish(data_dir)
    path = data_dir / ENDPOINT_FILE
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds the server's key
        settings = load_settings(data_dir=data_dir, local_model=str(tmp_path / "fake.gguf"), _env_file=None)
        guest = start_local_model(settings, reuse=True)  # what `studio ask` does
        assert guest is not None and not guest.owned and guest.base_url == server.base_url
        assert local_writer(guest, timeout_s=5).name == "llm:fake"
        guest.close()
        assert server.state is ServerState.READY and path.exists()  # a guest never stops the owner's server
        assert attach_running(data_dir, "another-model") is None
    finally:
        owner.close()
    assert not path.exists() and server.state is ServerState.STOPPED
    assert attach_running(data_dir, "fake") is None


@pytest.mark.parametrize("flaw", ["wrong key", "owner gone", "not loopback", "not json", "server gone"])
def test_a_stale_or_foreign_endpoint_file_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flaw: str
) -> None:
    import json
    import subprocess

    from integrations.llm_server.local import ENDPOINT_FILE, attach_running

    server = make_server(tmp_path, "ok", monkeypatch, alias="fake")
    server.start()
    try:
        info = {
            "owner_pid": os.getpid(),
            "base_url": server.base_url,
            "api_key": server.api_key,
            "alias": "fake",
            "model_path": str(tmp_path / "fake.gguf"),
        }
        if flaw == "wrong key":
            info["api_key"] = "guessed"
        elif flaw == "owner gone":
            finished = subprocess.run(
                [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True
            )
            info["owner_pid"] = int(finished.stdout)
        elif flaw == "not loopback":
            info["base_url"] = server.base_url.replace("127.0.0.1", "10.0.0.1")
        elif flaw == "server gone":
            server.stop()
        path = tmp_path / "data" / ENDPOINT_FILE
        path.parent.mkdir(parents=True)
        path.write_text("{not json" if flaw == "not json" else json.dumps(info))
        assert attach_running(tmp_path / "data", "fake", timeout_s=2) is None
    finally:
        server.stop()


# -- the writer's JSON mode for llama-cpp-python's server -------------------------------------------------


class RecordingChat:
    """Just enough of a chat model: ``bind(**kw).invoke(messages)``, recording what was bound."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = answers
        self.bound: list[dict[str, Any]] = []

    def bind(self, **kwargs: Any) -> RecordingChat:
        self.bound.append(kwargs)
        return self

    def invoke(self, messages: Any) -> Any:
        from langchain_core.messages import AIMessage

        self.seen = list(messages)
        return AIMessage(content=self.answers.pop(0))


def caption_request() -> Any:
    from agent.content.writers.base import CaptionRequest

    return CaptionRequest(
        brief="announce our oat latte",
        subject="our oat latte",
        platform="x",
        platform_label="X",
        limit=280,
        hashtags_norm=2,
        hashtags_max=3,
        style="short",
    )


def test_json_object_mode_sends_the_schema_and_validates_the_answer() -> None:
    from agent.content.writers.base import CaptionOut
    from agent.services.llm_writer import LLMWriter
    from integrations.llm_server.schema import HASHTAG_PATTERN

    chat = RecordingChat(['{"caption": "Oat latte is here.", "hashtags": ["#OatLatte", "coffee"]}'])
    writer = LLMWriter(chat, "local", structured="json_object")  # type: ignore[arg-type]
    result = writer.caption(caption_request())
    [bound] = chat.bound
    schema = bound["response_format"]["schema"]
    assert bound["response_format"]["type"] == "json_object"
    assert schema["required"] == CaptionOut.model_json_schema()["required"]
    # bounded for the grammar: the caption by the platform's limit, the hashtags by its cap
    assert schema["properties"]["caption"]["maxLength"] == 280
    assert schema["properties"]["hashtags"]["maxItems"] == 3
    assert schema["properties"]["hashtags"]["items"]["pattern"] == HASHTAG_PATTERN
    assert "fields:\n- caption: The post text, without hashtags." in chat.seen[0].content  # system prompt
    assert "Brief: announce our oat latte" in chat.seen[-1].content
    assert result.writer == "llm:local" and result.fallback_reason is None
    assert result.text == "Oat latte is here." and result.hashtags == ["OatLatte", "coffee"]


def test_the_prompt_puts_the_worked_examples_before_the_request_and_shares_its_prefix() -> None:
    """Everything before the request is the same for two different requests (a llama.cpp server reuses
    that evaluated prefix); the examples are rendered by the caption template with their answers as JSON."""
    import json

    from langchain_core.messages import AIMessage, HumanMessage

    from agent.services.llm_writer import LLMWriter
    from prompts import examples

    answer = '{"caption": "Oat latte is here.", "hashtags": ["coffee"]}'
    first, second = RecordingChat([answer]), RecordingChat([answer])
    LLMWriter(first, "local", structured="json_object").caption(caption_request())  # type: ignore[arg-type]
    other = caption_request().model_copy(update={"brief": "tell people about our rye bread", "platform": "x"})
    LLMWriter(second, "local", structured="json_object").caption(other)  # type: ignore[arg-type]

    worked = examples("caption")
    assert len(worked) >= 2
    assert [m.content for m in first.seen[:-1]] == [m.content for m in second.seen[:-1]]
    assert first.seen[-1].content != second.seen[-1].content
    turns = first.seen[1:-1]
    assert [type(m) for m in turns] == [HumanMessage, AIMessage] * len(worked)
    for example, (shown, answered) in zip(worked, zip(turns[::2], turns[1::2], strict=True), strict=True):
        assert f"Brief: {example['request']['brief']}" in shown.content
        assert json.loads(answered.content) == example["answer"]
    # the Instagram example is shown with Instagram's limits, whatever the request's platform
    assert "2200 characters" in turns[0].content or "2,200 characters" in turns[0].content


def test_a_refusal_is_never_a_caption() -> None:
    from agent.services.llm_writer import LLMWriter

    chat = RecordingChat(['{"caption": "I\'m sorry, but I can\'t see that photo.", "hashtags": ["photo"]}'])
    result = LLMWriter(chat, "local", structured="json_object").caption(caption_request())  # type: ignore[arg-type]
    assert result.writer == "template" and "declined" in (result.fallback_reason or "")
    assert "sorry" not in result.text.lower()


def test_warm_up_sends_the_caption_prompt_for_one_token_and_never_raises() -> None:
    from agent.services.llm_writer import LLMWriter

    chat = RecordingChat(["x"])
    assert LLMWriter(chat, "local", structured="json_object").warm() is True  # type: ignore[arg-type]
    assert chat.bound == [{"extra_body": {"max_tokens": 1}}]
    assert "fields:" in chat.seen[0].content and len(chat.seen) >= 4
    broken = RecordingChat([])  # answers nothing: invoke raises
    assert LLMWriter(broken, "local", structured="json_object").warm() is False  # type: ignore[arg-type]


def test_json_object_mode_falls_back_on_invalid_json() -> None:
    from agent.services.llm_writer import LLMWriter

    writer = LLMWriter(RecordingChat(['{"caption": "cut off']), "local", structured="json_object")  # type: ignore[arg-type]
    result = writer.caption(caption_request())
    assert result.writer == "template"
    assert (
        result.fallback_reason is not None and "llm:local failed: ValidationError" in result.fallback_reason
    )


def test_bounded_schema_bounds_every_string_and_array_keeping_tighter_bounds() -> None:
    from agent.content.writers.base import ScriptOut
    from integrations.llm_server.schema import MAX_CAPTION_CHARS, MAX_ITEMS, MAX_STRING_CHARS, bounded_schema

    schema = bounded_schema(ScriptOut, caption_request().model_copy(update={"limit": 5000}))
    props = schema["properties"]
    assert props["caption"]["maxLength"] == MAX_CAPTION_CHARS  # the small-model cap under a long limit
    assert props["hook"]["maxLength"] == MAX_STRING_CHARS
    assert props["beats"]["maxItems"] == 8  # the model's own bound is tighter than MAX_ITEMS
    assert props["hashtags"]["maxItems"] == 3
    beat = schema["$defs"]["ScriptBeat"]["properties"]
    assert beat["line"]["maxLength"] == MAX_STRING_CHARS and beat["visual"]["maxLength"] == MAX_STRING_CHARS
    assert MAX_ITEMS >= 8
    assert "maxLength" not in ScriptOut.model_json_schema()["properties"]["hook"]  # the model is untouched


def test_a_hashtag_pattern_refuses_numbers_spaces_and_signs() -> None:
    import re

    from integrations.llm_server.schema import HASHTAG_PATTERN

    ok = ["OatLatte", "café", "京都", "coffee_lover", "Top10"]
    bad = ["5", "#coffee", "oat latte", "", "x" * 41, 'a"b']
    assert all(re.fullmatch(HASHTAG_PATTERN, t) for t in ok)
    assert not any(re.fullmatch(HASHTAG_PATTERN, t) for t in bad)
