"""A stand-in for ``llama_cpp.server`` in the supervisor's unit tests (run as a script, not imported).

It takes the same arguments the supervisor passes, answers ``GET /v1/models`` with the alias when the
``API_KEY`` from its environment is presented, exits when its standard input closes (like the real
wrapper), and can be told to misbehave through ``FAKE_LLAMA_MODE``:

* ``ok`` — serve normally;
* ``crash`` — exit with code 3 before listening (a model that will not load);
* ``hang`` — listen, but never answer (a wedged server); a file ``<model>.hang-<pid>`` makes only the
  process with that pid hang;
* ``crash-once`` — the first run (marked by a file beside the model) exits at once, later runs serve.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--model_alias", required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    args, _ = parser.parse_known_args()
    mode = os.environ.get("FAKE_LLAMA_MODE", "ok")
    key = os.environ.get("API_KEY", "")
    marker = Path(args.model + ".ran")
    first_run = not marker.exists()
    marker.touch()
    print(f"fake llama server pid {os.getpid()} mode {mode}", flush=True)
    if mode == "crash" or (mode == "crash-once" and first_run):
        print("error: failed to load model", flush=True)
        sys.exit(3)

    def watch_stdin() -> None:
        while os.read(0, 4096):
            pass
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if mode == "hang" or Path(f"{args.model}.hang-{os.getpid()}").exists():
                time.sleep(3600)
            if self.path == "/openapi.json":
                self._send(200, {"openapi": "3.1.0"})
            elif self.path != "/v1/models":
                self._send(404, {"error": "not found"})
            elif self.headers.get("Authorization") != f"Bearer {key}":
                self._send(401, {"error": "bad key"})
            else:
                self._send(200, {"object": "list", "data": [{"id": args.model_alias, "object": "model"}]})

        def _send(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *fmt_args: object) -> None:
            print(format % fmt_args, flush=True)

    ThreadingHTTPServer((args.host, args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
