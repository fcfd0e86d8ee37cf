"""The real local model: the packaged default GGUF assembled and verified, served by the supervised
llama.cpp server, writing real captions and scripts as structured output.

One server (module scope) serves most tests; the studio test starts its own through ``build_services``
(as ``studio run`` does) and checks it is stopped with the studio.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import skimage.data
from langgraph.checkpoint.memory import InMemorySaver
from PIL import Image

from agent.content.fitting import compose
from agent.content.writers.base import ScriptRequest, TimedText
from agent.core import repo
from agent.core.db import session_scope
from agent.core.settings import load_settings
from agent.runtime.services import build_services
from agent.runtime.studio import Studio
from agent.services.llm import local_writer
from integrations.llm_server.local import LocalModel
from integrations.llm_server.models import DEFAULT_MODEL, PACKAGED_MODELS, ModelIntegrityError, ensure_model
from integrations.llm_server.supervisor import ServerState
from integrations.vision.offline import OfflineVision
from prompts.counting import count
from prompts.platforms import rule

pytestmark = pytest.mark.integration

MODEL = PACKAGED_MODELS[DEFAULT_MODEL]


@pytest.fixture(scope="module")
def models_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose models/ holds the assembled default model (assembled once for the module)."""
    home = tmp_path_factory.mktemp("local-model")
    ensure_model(MODEL, home / "models")
    return home


@pytest.fixture(scope="module")
def local(models_home: Path) -> Iterator[LocalModel]:
    with LocalModel.start(DEFAULT_MODEL, data_dir=models_home, health_interval_s=0.5) as model:
        yield model


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> OfflineVision:
    backend = OfflineVision(cache_dir=tmp_path_factory.mktemp("vision-cache"))
    backend.warm_up()
    return backend


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (ProcessLookupError, OSError):
        return False


def wait_for(check: Any, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return bool(check())


async def test_studio_captions_a_perceived_photo_with_the_local_model_and_stops_it(
    models_home: Path, offline: OfflineVision, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    (data / "models").mkdir(parents=True)
    for name in (MODEL.file_name, MODEL.file_name + ".verified"):  # the assembled model, not rebuilt
        os.link(models_home / "models" / name, data / "models" / name)
    settings = load_settings(data_dir=data, local_model="auto", _env_file=None)
    services = build_services(settings, vision=offline)
    server = services.local_model.server
    pid = server.pid
    assert services.backend == {"planner": "rules", "writer": f"llm:{MODEL.name}"}
    photo = tmp_path / "coffee.jpg"
    Image.fromarray(skimage.data.coffee()).save(photo, quality=92)

    async with Studio.open(settings, services=services, checkpointer=InMemorySaver(), timer=False) as studio:
        with session_scope(services.engine) as session:
            uid = repo.create_user(session, email="barista@example.com").id
        result = await studio.run_turn(
            user_id=uid,
            thread_id="photo",
            text="write a caption for this photo",
            platforms=["instagram"],
            attachments=[photo],
        )
        assert result.tools[0] == "describe_image" and "write_caption" in result.tools
        [draft] = result.drafts
        assert draft.writer == f"llm:{MODEL.name}", draft
        assert draft.fallback_reason is None, draft
        assert draft.text.strip() and draft.length <= draft.limit == 2200
        assert len(draft.hashtags) <= rule("instagram").hashtags_max
        written = (draft.text + " " + " ".join(draft.hashtags)).lower()
        assert any(w in written for w in ("coffee", "espresso", "latte", "cappuccino", "cafe", "café", "cup"))
        assert server.state is ServerState.READY

    assert pid is not None and wait_for(lambda: not alive(pid), 15)
    assert server.state is ServerState.STOPPED and services.local_model is None


def test_writes_a_script_for_a_transcript(local: LocalModel) -> None:
    transcript = (
        "Hi everyone, this is Mia from Corner Bakery. Today I want to show you how we make our sourdough. "
        "We feed the starter at six in the morning, mix the dough at nine, and fold it four times. "
        "After a night in the fridge it goes into a very hot oven. Come by on Saturday for a fresh loaf."
    )
    request = ScriptRequest(
        brief="turn this voice note into a reel script",
        transcript=transcript,
        segments=[
            TimedText(start=0.0, end=6.0, text="Hi everyone, this is Mia from Corner Bakery."),
            TimedText(start=6.0, end=20.0, text="We feed the starter at six, mix at nine, fold four times."),
            TimedText(
                start=20.0, end=30.0, text="A night in the fridge, a hot oven, fresh loaf on Saturday."
            ),
        ],
        duration_s=30.0,
        platform="instagram",
        platform_label=rule("instagram").label,
        target_seconds=30,
        visuals=["bakery", "bread"],
    )
    result = local_writer(local, timeout_s=180).script(request)
    assert result.writer == f"llm:{MODEL.name}" and result.fallback_reason is None, result
    assert result.hook.strip() and result.cta.strip() and result.caption.strip()
    assert 1 <= len(result.beats) <= 8 and all(b.line.strip() for b in result.beats)
    r = rule("instagram")
    assert count(compose(result.caption, result.hashtags[: r.hashtags_max]), r.counting) <= r.limit


def test_the_supervisor_restarts_a_killed_server(local: LocalModel) -> None:
    server = local.server
    before, restarts = server.pid, server.restarts
    assert before is not None
    os.kill(before, signal.SIGKILL)
    assert wait_for(lambda: server.restarts == restarts + 1 and server.state is ServerState.READY, 120)
    assert server.pid != before and not alive(before)
    assert server.healthy()


def test_a_model_file_with_the_wrong_sha256_is_refused(tmp_path: Path) -> None:
    tampered = dataclasses.replace(MODEL, name="tampered", sha256="0" * 64)
    with pytest.raises(ModelIntegrityError, match=rf"Refusing to load .*sha256 {MODEL.sha256[:12]}"):
        ensure_model(tampered, tmp_path / "models")
    assert not (tmp_path / "models" / "tampered.gguf").exists()


def test_a_tampered_package_stops_the_start_before_any_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        PACKAGED_MODELS, "tampered", dataclasses.replace(MODEL, name="tampered", sha256="f" * 64)
    )
    with pytest.raises(ModelIntegrityError, match="reinstall"):
        LocalModel.start("tampered", data_dir=tmp_path)
    assert not (tmp_path / "logs" / "llm-server.log").exists()  # no server was ever spawned


def test_studio_starts_with_the_template_writer_when_the_model_cannot_load(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 64)  # a GGUF header and nothing else: llama.cpp cannot load it
    settings = load_settings(data_dir=tmp_path / "data", local_model=str(broken), _env_file=None)
    services = build_services(settings)
    try:
        assert services.backend == {"planner": "rules", "writer": "template"}
        assert "Local model unavailable" in caplog.text and "exited with code" in caplog.text
    finally:
        services.engine.dispose()


async def test_the_rewrite_model_starts_on_the_first_translation_and_stops_with_the_studio(
    models_home: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    (data / "models").mkdir(parents=True)
    for name in (MODEL.file_name, MODEL.file_name + ".verified"):
        os.link(models_home / "models" / name, data / "models" / name)
    settings = load_settings(data_dir=data, rewrite_model="auto", _env_file=None)
    services = build_services(settings)
    assert services.backend["writer"] == "template" and services.rewriter is not None
    assert services.local_model is None  # nothing started with the studio

    async with Studio.open(settings, services=services, checkpointer=InMemorySaver(), timer=False) as studio:
        with session_scope(services.engine) as session:
            uid = repo.create_user(session, email="translate@example.com").id
        caption = await studio.run_turn(
            user_id=uid, thread_id="t", text="write an instagram caption about our oat latte"
        )
        assert caption.drafts[0].writer == "template"
        result = await studio.run_turn(
            user_id=uid, thread_id="t", text=f"translate draft #{caption.drafts[0].id} to German"
        )
        assert result.tools == ["translate"]
        started = services.rewriter.writer()
        assert started is not None and started.name == f"llm:{MODEL.name}"
        # the small model's German is checked before it is saved: a draft in German, or an honest refusal
        if result.drafts:
            assert result.drafts[0].language == "de" and result.drafts[0].writer == started.name
        else:
            assert "saved nothing" in result.reply and "without a language model" not in result.reply
        assert services.rewriter.local is not None
        pid = services.rewriter.local.server.pid

    assert pid is not None and wait_for(lambda: not alive(pid), 15)
