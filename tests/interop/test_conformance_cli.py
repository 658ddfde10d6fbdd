"""``python -m shared.cli conformance FILE``, run as a GP system supplier runs it: offline,
on their own files, printing every problem the registry would report; exit 1 when any."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CLOUDEVENT = json.loads(
    (REPO / "docs" / "examples" / "cloudevent-carer-identified.json").read_text()
)
BUNDLE = json.loads((REPO / "docs" / "examples" / "fhir-carer-identified.json").read_text())


def conformance(path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", "conformance", str(path), *options],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin"},  # offline: no broker, database or settings needed
    )


def broken_event() -> dict[str, Any]:
    event = copy.deepcopy(CLOUDEVENT)
    del event["time"]
    event["data"]["person"].update(nhs_number="9434765918", postcode="TN9 1AO")
    return event


def test_the_contract_examples_conform(tmp_path: Path) -> None:
    for name, example in (("event.json", CLOUDEVENT), ("bundle.json", BUNDLE)):
        path = tmp_path / name
        path.write_text(json.dumps(example))
        result = conformance(path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "ok" in result.stdout


def test_a_json_lines_batch_reports_every_problem_of_every_message(tmp_path: Path) -> None:
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join([json.dumps(CLOUDEVENT), json.dumps(broken_event()), "{oops"]))

    result = conformance(path)

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "line 1 (CloudEvent): ok" in lines
    assert "line 2 (CloudEvent): envelope.time: time is required by this contract" in lines
    assert (
        "line 2 (CloudEvent): data.person.nhs_number: fails the NHS number Modulus 11 check"
        in lines
    )
    assert any(line.startswith("line 2 (CloudEvent): data.person.postcode: ") for line in lines)
    assert any(line.startswith("line 3 (unreadable): not valid JSON") for line in lines)
    assert json.loads(lines[-1]) == {"messages": 3, "with_problems": 2}
    assert "9434765918" not in result.stdout  # reasons name the rule, not the value


def test_a_fhir_bundle_in_a_json_array_is_checked_as_the_endpoint_checks_it(
    tmp_path: Path,
) -> None:
    bundle = copy.deepcopy(BUNDLE)
    consent = bundle["entry"][3]["resource"]
    consent["provision"].pop("type")
    consent.pop("policyRule")
    path = tmp_path / "batch.json"
    path.write_text(json.dumps([BUNDLE, bundle]))

    result = conformance(path)

    assert result.returncode == 1
    assert "item 0 (FHIR Bundle): ok" in result.stdout
    assert "item 1 (FHIR Bundle): HTTP 422 Bundle.entry[3].resource.provision:" in result.stdout


def test_a_bundle_from_another_organisation_than_yours_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(BUNDLE))
    result = conformance(path, "--org", "Y12345")
    assert result.returncode == 1
    assert "HTTP 403" in result.stdout
