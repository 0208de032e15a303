"""Generic validator pieces the REST feeds build on: JSON Schema kinds and duplicate keys."""

import json
from pathlib import Path

from click.testing import CliRunner

from payercert.cli import app
from payercert.validators.readers import read_records
from payercert.validators.schemas import compiled_schema


def _schemas(folder: Path) -> Path:
    (folder / "money.json").write_text(
        json.dumps(
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": ["number", "null"], "x-max-decimals": 2}
        )
    )
    item = folder / "item.json"
    item.write_text(
        json.dumps(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "x-requirement": "X-SHAPE",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "amount": {"$ref": "money.json", "x-requirement": "X-MONEY"},
                    "when": {"type": "string", "format": "date", "x-requirement": "X-DATE"},
                },
            }
        )
    )
    return item


def test_schema_errors_name_the_nearest_requirement(tmp_path):
    schema = compiled_schema(_schemas(tmp_path))
    assert list(schema.errors({"name": "n", "amount": 0.07, "when": "2026-02-28"})) == []
    errors = {(e.pointer, e.requirement) for e in schema.errors({"amount": 1.234, "when": "2026-02-30"})}
    assert errors == {("", "X-SHAPE"), ("/amount", "X-MONEY"), ("/when", "X-DATE")}


def test_duplicate_keys_are_found_with_their_line(tmp_path):
    page = tmp_path / "page.json"
    page.write_text('{\n  "data": [\n    {"id": 1,\n     "status": "a",\n     "status": "b"}\n  ],\n  "total": 1\n}\n')
    [record] = list(read_records(page, "json"))
    assert record.duplicate_keys == [("status", 5)] and record.data["data"][0]["status"] == "b"
    lines = tmp_path / "items.ndjson"
    lines.write_text('{"id": 1}\n{"id": 2, "id": 3}\n')
    assert [r.duplicate_keys for r in read_records(lines, "ndjson")] == [[], [("id", 2)]]


def test_validate_reports_a_duplicate_key_as_an_error(tmp_path):
    entry = tmp_path / "entry.json"
    entry.write_text(
        '{"TransactionId": "80a4889c-6f1b-453d-a306-eccfb9382355", "ServiceIdentifier": "S",\n'
        ' "ServiceDate": "11-02-2026", "ClientLtssId": "A1", "ProviderMa": "M1",\n'
        ' "Units": 2,\n "Units": 3}\n'
    )
    result = CliRunner().invoke(app, ["validate", str(entry), "--as-of", "2026-11-20", "--format", "json"])
    findings = json.loads(result.stdout)["files"][0]["findings"]
    assert {(f["code"], f["location"]["line"]) for f in findings} == {("DUPLICATE-KEY", 4)}
    assert result.exit_code == 1


def test_requirement_found_inside_a_referenced_schema(tmp_path):
    (tmp_path / "line.json").write_text(
        json.dumps(
            {
                "type": "object",
                "x-requirement": "X-LINE",
                "properties": {"paid": {"type": "number", "x-max-decimals": 2, "x-requirement": "X-PAID"}},
            }
        )
    )
    page = tmp_path / "page.json"
    page.write_text(
        json.dumps(
            {
                "type": "object",
                "x-requirement": "X-PAGE",
                "properties": {"data": {"type": "array", "items": {"$ref": "line.json"}}},
            }
        )
    )
    errors = list(compiled_schema(page).errors({"data": [{"paid": 1.234}, {"paid": "x"}]}))
    assert {(e.pointer, e.requirement) for e in errors} == {("/data/0/paid", "X-PAID"), ("/data/1/paid", "X-PAID")}
