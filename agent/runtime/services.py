"""Build the services once per process, at the edge (web studio, Slack bot, CLI, worker, benches)."""

from __future__ import annotations

import threading

from langchain_core.language_models import BaseChatModel

from agent.content.writers.base import Writer
from agent.content.writers.template import TemplateWriter
from agent.core import scheduling
from agent.core.db import make_engine
from agent.core.security import CredentialBox
from agent.core.settings import Settings
from agent.graph.planning.llm import make_planner
from agent.services.context import Services
from agent.services.dispatcher import dispatcher_for
from agent.services.llm import choose_planner, local_writer, make_chat_model, start_local_model
from agent.services.llm_writer import LLMWriter
from agent.services.perception import Perception
from agent.services.rewriting import RewriteModel
from agent.services.routing import SemanticRouter
from integrations.embeddings import onnx_minilm_encoder
from integrations.timer import SchedulerTimer
from integrations.vision import make_vision_backend
from integrations.vision.base import VisionBackend


def build_services(
    settings: Settings,
    *,
    writer: Writer | None = None,
    chat_model: BaseChatModel | None = None,
    vision: VisionBackend | None = None,
    reuse_local_model: bool = False,
) -> Services:
    """Everything a tool or node may need, built once at the edge. Tests pass fakes for writer/model/vision.

    ``reuse_local_model``: a one-shot command uses the local model server a running studio published for
    the same data dir, rather than starting its own."""
    settings.ensure_data_dir()
    engine = make_engine(settings.sqlalchemy_url)
    model = chat_model if chat_model is not None else make_chat_model(settings)
    local = None
    if writer is None and model is None:  # no LLM endpoint: the local model (planner stays rules)
        local = start_local_model(settings, reuse=reuse_local_model)
    template_chosen = writer is None and model is None and local is None  # translation needs another model
    if writer is None:
        if model is not None:
            writer = LLMWriter(model, settings.llm_model or "model")
        elif local is not None:
            writer = local_writer(local, timeout_s=settings.llm_timeout_s)
        else:
            writer = TemplateWriter()
    planner_name = (
        "llm" if chat_model is not None and settings.planner != "rules" else choose_planner(settings)
    )
    box = CredentialBox(settings.resolved_secrets()[0])
    services = Services(
        settings=settings,
        engine=engine,
        writer=writer,
        planner=make_planner(planner_name, model),
        box=box,
        dispatcher=dispatcher_for(settings, engine, box),
        perception=Perception.build(settings, engine),  # cheap: models load on first use
        vision=vision if vision is not None else make_vision(settings),
        chat_model=model,
        local_model=local,  # stopped by Studio.open / close_local_model
        rewriter=RewriteModel(settings, reuse=reuse_local_model) if template_chosen else None,
        router=SemanticRouter(onnx_minilm_encoder, cache_dir=settings.data_dir / "cache" / "routing")
        if settings.semantic_routing
        else None,  # cheap: the model loads on the first request no cue matches
    )
    if local is not None and local.owned and isinstance(writer, LLMWriter):
        # the caption prompt's static part, evaluated now (the bench joins it before it times turns)
        services.local_model_warm_up = threading.Thread(
            target=writer.warm, name="local-model-warm-up", daemon=True
        )
        services.local_model_warm_up.start()
    return services


def close_local_model(services: Services) -> None:
    """Stop the local model servers build_services started or a rewrite started, if any (the Studio does it
    when it closes)."""
    local, services.local_model = services.local_model, None
    if local is not None:
        local.close()
    if services.rewriter is not None:
        services.rewriter.close()


def make_vision(settings: Settings) -> VisionBackend:
    """The configured vision backend. Cheap: it loads no model (``auto`` chooses on first use)."""
    return make_vision_backend(
        settings.vision_backend.value,
        clip_model=settings.vision_clip_model,
        clip_pretrained=settings.vision_clip_pretrained,
        clip_checkpoint=settings.vision_clip_checkpoint,
        cache_dir=settings.data_dir / "cache" / "vision",
    )


def start_timer(services: Services) -> SchedulerTimer:
    """The embedded scheduler: a date job per due post and a sweeper, driving the dispatcher."""
    dispatcher = services.dispatcher
    timer = SchedulerTimer(
        dispatch=dispatcher.dispatch_due,
        sweep=dispatcher.sweep,
        upcoming=lambda until: scheduling.upcoming(services.engine, until=until),
        sweep_interval_s=services.settings.sweep_interval_s,
    )
    timer.start()
    return timer
