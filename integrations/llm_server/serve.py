"""The llama.cpp server child process: ``python -m llama_cpp.server`` behind a parent watchdog.

The supervisor starts ``python -m integrations.llm_server.serve <llama_cpp.server arguments>`` with a pipe
on standard input. When the studio goes away in any way — a clean stop, a crash, ``kill -9`` — the pipe
closes and this process exits at once, so a model server (~1 GB of memory) is never left orphaned.
Everything else is ``llama_cpp.server``'s own command line.
"""

from __future__ import annotations

import os
import runpy
import sys
import threading


def _exit_with_parent() -> None:
    # os.read on the descriptor, not sys.stdin: a daemon thread blocked in a buffered read would make
    # the interpreter abort at exit ("could not acquire lock for <stdin>")
    try:
        while os.read(0, 4096):
            pass  # the studio writes nothing; end of file means it is gone
    except OSError:
        pass
    os._exit(0)


def main() -> None:
    threading.Thread(target=_exit_with_parent, name="parent-watchdog", daemon=True).start()
    sys.argv = ["llama_cpp.server", *sys.argv[1:]]
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
