"""`studio ask --json` as a real process: every draft comes back scored and within its limit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

STUDIO = str(Path(sys.executable).with_name("studio"))


def ask_json(data_dir: Path, *args: str) -> dict[str, Any]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    environ.update({"STUDIO_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "STUDIO_LOCAL_MODEL": "off"})
    proc = subprocess.run(
        [STUDIO, "ask", "--json", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


def test_ask_returns_one_scored_draft_per_platform_within_its_limit(data_dir: Path) -> None:
    out = ask_json(data_dir, "--platform", "x", "--platform", "linkedin", "announce our oat latte launch")
    drafts = {d["platform"]: d for d in out["drafts"]}
    assert sorted(drafts) == ["linkedin", "x"]
    for d in drafts.values():
        assert d["length"] <= d["limit"]
        assert isinstance(d["score"], int | float) and 0 < d["score"] <= 100
    assert drafts["x"]["limit"] == 280 and drafts["linkedin"]["limit"] == 3000
    assert "score" in out["reply"]


def test_ask_scores_and_improves_a_draft_in_the_same_thread(data_dir: Path) -> None:
    first = ask_json(data_dir, "--platform", "linkedin", "announce our oat latte launch")
    thread, draft_id = first["thread_id"], first["drafts"][0]["id"]
    scored = ask_json(data_dir, "--thread", thread, f"score draft #{draft_id}")
    assert scored["tools"] == ["score_post"] and "/100" in scored["reply"]
    timing = ask_json(
        data_dir, "--thread", thread, "--platform", "linkedin", "when should I post on linkedin"
    )
    assert timing["tools"] == ["best_time"] and "Sprout Social" in timing["reply"]
