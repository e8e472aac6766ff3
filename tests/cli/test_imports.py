"""``jinpai import`` and ``jinpai quarantine`` as a user runs them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from jinpai.cli import app
from tests.ingest.files import MESSAGES_HEADER, ORDERS_HEADER, write_csv

runner = CliRunner()


def data_folder(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    write_csv(
        data / "messages.csv",
        MESSAGES_HEADER,
        [
            ["b1", "shop:amy", "buyer", "2024-03-15 08:46:47", "", "在吗"],
            ["b1", "shop:amy", "nobody", "2024-03-15 08:47:00", "", "bad sender"],
        ],
    )
    write_csv(
        data / "orders.csv", ORDERS_HEADER, [["o1", "b1", "2024-03-15 09:00:00", "", "10", ""]]
    )
    write_csv(
        data / "reminders.csv",
        ["order_id", "agent_id", "sent_at"],
        [["o1", "shop:amy", "2024-03-15 09:10:00"], ["o404", "shop:amy", "2024-03-15 09:11:00"]],
    )
    (data / "README.txt").write_text("not a table", encoding="utf-8")
    return data


def test_import_json_is_exactly_the_contract(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    result = runner.invoke(
        app, ["import", str(data_folder(tmp_path)), "--db", str(db), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "tables": {
            "messages": {"read": 2, "stored": 1, "updated": 0, "quarantined": 1},
            "orders": {"read": 1, "stored": 1, "updated": 0, "quarantined": 0},
            "reminders": {"read": 2, "stored": 2, "updated": 0, "quarantined": 0},
        }
    }
    again = runner.invoke(
        app, ["import", str(tmp_path / "data"), "--db", str(db), "--format", "json"]
    )
    counts = json.loads(again.stdout)["tables"]
    assert all(c["stored"] == 0 and c["updated"] == 0 for c in counts.values())


def test_import_table_output(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    result = runner.invoke(app, ["import", str(data_folder(tmp_path)), "--db", str(db)])
    assert result.exit_code == 0, result.output
    for word in ("messages", "orders", "reminders", "quarantined", "jinpai quarantine"):
        assert word in result.stdout


def test_quarantine_list_export_and_unmatched(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    runner.invoke(app, ["import", str(data_folder(tmp_path)), "--db", str(db)])
    listed = runner.invoke(app, ["quarantine", "--db", str(db), "--format", "json"])
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.stdout)
    assert (row["table"], row["row"], row["column"]) == ("messages", 3, "sender")
    assert row["reason"] == "unknown value 'nobody' (accepted: agent, buyer)"
    assert json.loads(row["raw"])["content"] == "bad sender"
    other = runner.invoke(
        app, ["quarantine", "--db", str(db), "--import-id", "2", "--format", "json"]
    )
    assert json.loads(other.stdout) == []
    table = runner.invoke(app, ["quarantine", "--db", str(db)])
    assert "nobody" in table.stdout

    out_csv = tmp_path / "q.csv"
    assert (
        runner.invoke(app, ["quarantine", "--db", str(db), "--export", str(out_csv)]).exit_code == 0
    )
    with out_csv.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["file"].endswith("messages.csv"), r["row"], r["column"]) for r in rows] == [
        (True, "3", "sender")
    ]
    out_xlsx = tmp_path / "q.xlsx"
    assert (
        runner.invoke(app, ["quarantine", "--db", str(db), "--export", str(out_xlsx)]).exit_code
        == 0
    )
    ws = openpyxl.load_workbook(out_xlsx).active
    header = [c.value for c in ws[1]]
    assert header == ["import_id", "shop_id", "table", "file", "row", "column", "reason", "raw"]
    assert (ws.cell(2, 2).value, ws.cell(2, 5).value) == ("default", 3)
    other_shop = runner.invoke(
        app, ["quarantine", "--db", str(db), "--shop", "s9", "--format", "json"]
    )
    assert json.loads(other_shop.stdout) == []

    unmatched = runner.invoke(
        app, ["quarantine", "--db", str(db), "--unmatched", "--format", "json"]
    )
    assert [r["order_id"] for r in json.loads(unmatched.stdout)] == ["o404"]


def test_errors_exit_non_zero_with_a_clear_message(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    bad = write_csv(
        tmp_path / "messages.csv",
        ["buyer_id", "agent_id", "sent_at"],
        [["b", "a", "2024-03-15 08:00:00"]],
    )
    result = runner.invoke(app, ["import", str(bad), "--db", str(db)])
    assert result.exit_code != 0
    assert "messages.csv: required column sender of table messages is missing" in result.stderr

    unknown = runner.invoke(app, ["import", str(bad), "--db", str(db), "--table", "customers"])
    assert unknown.exit_code != 0
    assert "unknown table 'customers'" in unknown.stderr

    odd = write_csv(tmp_path / "export.csv", ["foo", "bar"], [["1", "2"]])
    guess = runner.invoke(app, ["import", str(odd), "--db", str(db)])
    assert guess.exit_code != 0
    assert "cannot tell which table" in guess.stderr

    missing = runner.invoke(app, ["import", str(tmp_path / "nope"), "--db", str(db)])
    assert missing.exit_code != 0
    assert "no file or folder" in missing.stderr

    garbage = tmp_path / "orders.xlsx"
    garbage.write_bytes(b"\x00\x01 not excel")
    unreadable = runner.invoke(app, ["import", str(garbage), "--db", str(db)])
    assert unreadable.exit_code != 0
    assert "cannot open the Excel file" in unreadable.stderr

    tz = runner.invoke(app, ["import", str(bad), "--db", str(db), "--timezone", "Mars/Olympus"])
    assert tz.exit_code != 0
    assert "unknown timezone" in tz.stderr


def test_one_bad_file_does_not_stop_the_folder(tmp_path: Path) -> None:
    data = data_folder(tmp_path)
    write_csv(data / "shifts.csv", ["agent_id", "starts_at"], [["a", "2024-03-15 08:00:00"]])
    db = tmp_path / "wh.duckdb"
    result = runner.invoke(app, ["import", str(data), "--db", str(db), "--format", "json"])
    assert result.exit_code == 0
    assert "shifts.csv: required column ends_at of table shifts is missing" in result.stderr
    assert set(json.loads(result.stdout)["tables"]) == {"messages", "orders", "reminders"}


def test_olist_through_the_cli(tmp_path: Path, olist_dir: Path) -> None:
    mapping = tmp_path / "olist.yaml"
    mapping.write_text(
        "table: orders\n"
        "columns: {buyer_id: customer_id, created_at: order_purchase_timestamp,"
        " paid_at: order_approved_at, status: order_status}\n"
        f"amount_from: {{file: {olist_dir / 'payments_for_head_orders.csv'},"
        " key: order_id, value: payment_value}\n",
        encoding="utf-8",
    )
    db = tmp_path / "wh.duckdb"
    result = runner.invoke(
        app,
        [
            "import",
            str(olist_dir / "olist_orders_dataset.csv"),
            "--db",
            str(db),
            "--map-file",
            str(mapping),
            "--timezone",
            "America/Sao_Paulo",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "tables": {"orders": {"read": 4071, "stored": 4071, "updated": 0, "quarantined": 0}}
    }
    # the same columns through --map (amounts missing: every row is quarantined, none lost)
    db2 = tmp_path / "wh2.duckdb"
    by_map = runner.invoke(
        app,
        [
            "import",
            str(olist_dir / "olist_orders_dataset.csv"),
            "--db",
            str(db2),
            "--table",
            "orders",
            "--map",
            "buyer_id=customer_id,created_at=order_purchase_timestamp,amount=order_status",
            "--timezone",
            "America/Sao_Paulo",
            "--format",
            "json",
        ],
    )
    assert json.loads(by_map.stdout)["tables"]["orders"]["quarantined"] == 4071


def test_progress_bar_follows_the_files(tmp_path: Path) -> None:
    from jinpai.cli.imports import _RichImportProgress
    from jinpai.services import imports
    from jinpai.settings import get_settings

    data = data_folder(tmp_path)
    progress = _RichImportProgress()
    result = imports.import_path(data, get_settings(), db=tmp_path / "wh.duckdb", progress=progress)
    assert result.tables["messages"].read == 2
    assert progress._task is None  # every file's bar was removed when it finished
