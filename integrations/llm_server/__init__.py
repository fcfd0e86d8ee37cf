"""The local model: a packaged small instruct model (GGUF) served by a supervised llama.cpp server.

With no LLM endpoint configured the studio starts one (``STUDIO_LOCAL_MODEL=auto``) and writes with it;
see :mod:`integrations.llm_server.local` (what is served), :mod:`.models` (packaged models, assembly and
sha256 check) and :mod:`.supervisor` (start, health checks, restarts, stop).

Import from the submodules: this package imports nothing on its own, so that reading the settings (which
only needs the packaged models' names) does not load the server supervisor and its HTTP client.
"""
