"""The officers' command line: JSON lines in, JSON lines out, offline."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from services.consultation.entrypoints.cli import theme_stream

REPO = Path(__file__).resolve().parents[3]


def test_each_input_line_gets_one_output_line_with_its_id_and_themes() -> None:
    lines = [
        {"id": "r1", "question": "g", "text": "A GP appointment I can actually get."},
        {"id": 2, "question": "h", "text": "Nothing else, thanks."},
    ]
    source = io.StringIO("\n".join(json.dumps(line) for line in lines) + "\n\n")
    sink = io.StringIO()

    assert theme_stream(source, sink) == 2

    out = [json.loads(line) for line in sink.getvalue().splitlines()]
    contract = [{"id": o["id"], "themes": o["themes"]} for o in out]  # extra fields allowed
    assert contract == [{"id": "r1", "themes": ["health_access"]}, {"id": 2, "themes": []}]


def test_explain_adds_the_reasons_for_each_theme() -> None:
    source = io.StringIO(json.dumps({"id": "x", "text": "Respite, please: I am exhausted."}) + "\n")
    sink = io.StringIO()
    theme_stream(source, sink, explain=True)
    [out] = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert out["themes"] == ["respite"] and "respite" in out["why"]["respite"]["cues"]


def test_a_line_that_is_not_json_stops_with_its_line_number() -> None:
    with pytest.raises(SystemExit, match="line 2: not valid JSON"):
        theme_stream(io.StringIO('{"id": 1, "text": "a"}\n{oops\n'), io.StringIO())


def test_python_dash_m_runs_the_themes_command_on_standard_input() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "services.consultation", "themes"],
        input='{"id": "a", "question": "g", "text": "I feel so lonely and isolated."}\n',
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=True,
    )
    out = json.loads(done.stdout)
    assert {"id": out["id"], "themes": out["themes"]} == {"id": "a", "themes": ["loneliness"]}


def test_python_dash_m_still_migrates_the_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/consultation.db"
    done = subprocess.run(
        [sys.executable, "-m", "services.consultation", "migrate"],
        env={"CONSULTATION_DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "consultation.db").stat().st_size > 0
