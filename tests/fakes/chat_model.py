"""A scripted tool-calling chat model for tests: it imitates ``ChatOpenAI`` as the planner sees it.

LangChain's ``GenericFakeChatModel`` cannot stand in here: its ``bind_tools`` raises and its streaming
drops tool calls. This one answers from a script, records what it was asked, and supports both
``bind_tools`` and ``with_structured_output``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import BaseModel, ConfigDict, Field

Step = AIMessage | Exception | Callable[[list[BaseMessage]], AIMessage]


class ScriptedChatModel(BaseChatModel):
    """Answers each call with the next scripted step (an AIMessage, an exception to raise, or a function of
    the messages). Every call's messages are kept in ``calls``; tools bound are kept in ``bound_tools``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    script: list[Any] = Field(default_factory=list)
    structured: list[Any] = Field(default_factory=list)  # answers for with_structured_output
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    bound_tools: list[str] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls.append(list(messages))
        if not self.script:
            raise AssertionError("ScriptedChatModel: the script ran out")
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        message = step(list(messages)) if callable(step) else step
        return ChatResult(generations=[ChatGeneration(message=message.model_copy())])

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Runnable[Any, BaseMessage]:  # type: ignore[override]
        self.bound_tools = [t.name if hasattr(t, "name") else str(t) for t in tools]
        return self

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Runnable[Any, Any]:
        def answer(messages: Any) -> Any:
            self.calls.append(list(messages) if isinstance(messages, list) else [messages])
            if not self.structured:
                raise AssertionError("ScriptedChatModel: no structured answer scripted")
            step = self.structured.pop(0)
            if isinstance(step, Exception):
                raise step
            if isinstance(step, dict) and isinstance(schema, type) and issubclass(schema, BaseModel):
                return schema.model_validate(step)
            return step

        return RunnableLambda(answer)
