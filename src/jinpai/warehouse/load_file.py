"""Loading one file into the warehouse: stage its cells, validate, key, upsert, quarantine, record.

Runs inside the caller's transaction (see :func:`jinpai.services.import_path`), so a folder
imports whole or not at all. Staging happens in DuckDB temp tables: the file's cells as text
(``_raw``), the validated rows (``_parsed``), the keyed rows ready to merge (``_stage``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from jinpai.canonical.schema import MESSAGE_CONTENT_KEY, TABLES, TableSchema
from jinpai.canonical.validation import clean_cells, validation_sql
from jinpai.ingest.adapters.base import Plan
from jinpai.ingest.personal import mask_text, pseudonym
from jinpai.ingest.readers import DEFAULT_LIMITS, Limits, Malformed, RawFile, too_many_bad
from jinpai.settings import DEFAULT_TIMEZONE
from jinpai.warehouse.tables import SEQ_FACTOR, q, stored_columns
from jinpai.warehouse.upsert import upsert

RAW, PARSED, STAGE, PSEUDONYMS = "_raw", "_parsed", "_stage", "_pseudonyms"


@dataclass
class Options:
    shop: str = "default"
    timezone: str = DEFAULT_TIMEZONE
    time_format: str | None = None
    buyer_secret: str | None = None  # set: buyer ids are pseudonymised
    # set: the file is for ``shop`` alone (an upload to one shop); a row naming another shop
    # refuses the whole file
    own_shop_only: bool = False
    limits: Limits = DEFAULT_LIMITS  # what one file may hold (settings import_max_*, xlsx_*)


class ForeignShopError(ValueError):
    """A file for one shop has rows naming other shops: nothing of it is stored.

    The shop of a row is the one the importer gives it (its shop column under any spelling or
    mapping the adapters accept, else the import's shop), read after validation, so no second
    list of shop columns can fall behind the adapters'.
    """

    def __init__(self, file: str, shop: str, others: list[str]) -> None:
        self.file, self.shop, self.others = file, shop, others
        names = ", ".join(o[:64] for o in others[:5]) + (", ..." if len(others) > 5 else "")
        super().__init__(
            f"{file}: 文件含有其他店铺（{names}）的数据，未导入任何行，请在该店铺导入 / "
            f"the file has rows of other shops ({names}); nothing was imported: "
            f"import it in that shop"
        )


@dataclass
class Rejected:
    row: int
    column: str
    reason: str
    raw: dict[str, str | None]
    shop: str  # the shop the row was imported for (its shop_id cell, else --shop)


@dataclass
class FileOutcome:
    file: str
    table: str
    adapter: str
    import_id: int
    sha256: str
    read: int = 0
    stored: int = 0
    updated: int = 0
    quarantined: int = 0


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def next_import_id(con: duckdb.DuckDBPyConnection) -> int:
    return _scalar(con, "SELECT coalesce(max(id), 0) + 1 FROM imports")


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """One integer; fetchall() so the result is complete before the next statement."""
    return int(con.execute(sql).fetchall()[0][0])


def _stage_cells(con: duckdb.DuckDBPyConnection, raw: RawFile, plan: Plan) -> None:
    """Copy the cells the plan reads and derived columns into ``_raw``: no other cell (personal
    data, free text such as 买家留言) gets into the warehouse file, not even a temp table."""
    keep = {"_row"} | {f"r{i}" for i in plan.read_cells()}
    created = False
    for batch in raw.batches:
        names = [c for c in batch.column_names if c in keep or c.startswith("d_")]
        table = batch.select(names)
        if plan.derive is not None:
            for name, values in plan.derive(batch).items():
                table = table.append_column(name, values)
        table = pa.table(
            {n: table[n] if n == "_row" else clean_cells(table[n]) for n in table.column_names}
        )
        if not created:
            columns = table.column_names
            typed = ", ".join(f"{q(c)} {'BIGINT' if c == '_row' else 'VARCHAR'}" for c in columns)
            con.execute(f"CREATE OR REPLACE TEMP TABLE {RAW} ({typed})")
            created = True
        # a relation, not con.register: a view dropped inside the import's transaction keeps
        # its Arrow batch alive until the commit, so the whole file would stay in memory
        con.from_arrow(table.select(columns)).insert_into(RAW)
    if not created:  # a header without rows
        cols = ", ".join(f"{q(c)} VARCHAR" for c in sorted(keep - {"_row"}))
        derived = [s for s in plan.sources.values() if s.startswith("d_")]
        cols = ", ".join(x for x in (cols, ", ".join(f"{q(d)} VARCHAR" for d in derived)) if x)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {RAW} (_row BIGINT{', ' if cols else ''}{cols})")


def _pseudonymise(con: duckdb.DuckDBPyConnection, secret: str) -> None:
    """Replace buyer ids in ``_parsed`` by their HMAC pseudonyms (computed once per buyer)."""
    buyers = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT buyer_id FROM {PARSED} WHERE buyer_id IS NOT NULL"
        ).fetchall()
    ]
    table = pa.table({"buyer_id": buyers, "pseudonym": [pseudonym(secret, b) for b in buyers]})
    con.register(PSEUDONYMS, table)
    con.execute(
        f"UPDATE {PARSED} AS p SET buyer_id = m.pseudonym FROM {PSEUDONYMS} AS m "
        "WHERE p.buyer_id = m.buyer_id"
    )
    con.unregister(PSEUDONYMS)


# stored extras and the column each is read from (validation keeps the status cell as
# status_raw; None: computed for every row)
_EXTRA_SOURCES = {"status_raw": "status", "occurrence": None}


def given_columns(plan: Plan) -> set[str]:
    """The stored data columns a file gives: its own (named, mapped or derived) and what the
    import computes from them. An update leaves every other column as it is stored."""
    given = {c for c in plan.schema.column_names if c in plan.sources}
    if plan.closed_after_payment_refunded:  # refunds follow from the status and payment
        given.add("refund_amount")
    return given | {e for e, s in _EXTRA_SOURCES.items() if s is None or s in given}


def _key_sql(schema: TableSchema) -> tuple[str, str, str]:
    """(base key, occurrence, row_key) expressions: one md5 per row, a window only for messages.

    A message's key is its message_id, else its content key plus its occurrence among identical
    rows of the file (so genuinely repeated messages survive and re-imports match them).
    """
    sep = " || chr(31) || "

    def part(c: str) -> str:
        return f"coalesce(CAST({q(c)} AS VARCHAR), chr(0))"

    if schema.name != "messages":
        return "md5(" + sep.join(part(c) for c in schema.key) + ")", "NULL", "_base"
    composite = sep.join(part(c) for c in MESSAGE_CONTENT_KEY)
    base = (
        "CASE WHEN message_id IS NOT NULL THEN md5('id' || chr(31) || message_id) "
        f"ELSE md5({composite}) END"
    )
    occurrence = (
        "CASE WHEN message_id IS NULL "
        "THEN row_number() OVER (PARTITION BY shop_id, _base ORDER BY _row) ELSE 1 END"
    )
    row_key = "CASE WHEN occurrence > 1 THEN _base || '#' || occurrence ELSE _base END"
    return base, occurrence, row_key


def _build_stage(
    con: duckdb.DuckDBPyConnection,
    schema: TableSchema,
    source_file: str,
    import_id: int,
    max_dups: int,
) -> list[tuple[int, int, str]] | None:
    """Key the valid rows into ``_stage``; returns (row, first row, shop) of duplicate keys,
    which are dropped (None: more than ``max_dups`` of them, none fetched)."""
    base, occurrence, row_key = _key_sql(schema)
    cols = [n for n, _ in stored_columns(schema)]
    lineage = {
        "source_file": "$file",
        "source_row": "_row",
        "seq": f"$import_id * {SEQ_FACTOR} + _row",
        "import_id": "$import_id",
        "row_key": row_key,
        "occurrence": occurrence,
    }
    if "occurrence" in cols:  # computed in its own step: row_key depends on it
        lineage["occurrence"] = "occurrence"
        window = f"SELECT *, {occurrence} AS occurrence FROM v"
    else:
        window = "SELECT * FROM v"
    select = ", ".join(f"{lineage.get(c, q(c))} AS {q(c)}" for c in cols)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {STAGE} AS "
        f"WITH v AS (SELECT *, {base} AS _base FROM {PARSED} WHERE _errors IS NULL), "
        f"w AS ({window}) SELECT {select} FROM w",
        {"file": source_file, "import_id": import_id},
    )
    dups = con.execute(
        f"WITH d AS (SELECT shop_id, row_key, min(source_row) AS first FROM {STAGE} "
        "GROUP BY shop_id, row_key HAVING count(*) > 1) "
        f"SELECT s.source_row, d.first, shop_id FROM {STAGE} AS s JOIN d USING (shop_id, row_key) "
        "WHERE s.source_row <> d.first ORDER BY s.source_row LIMIT $most",
        {"most": max_dups + 1},
    ).fetchall()
    if len(dups) > max_dups:
        return None
    if dups:
        con.register("_dups", pa.table({"source_row": [int(r[0]) for r in dups]}))
        con.execute(f"DELETE FROM {STAGE} WHERE source_row IN (SELECT source_row FROM _dups)")
        con.unregister("_dups")
    return [(int(a), int(b), str(shop)) for a, b, shop in dups]


def _raw_rows(
    con: duckdb.DuckDBPyConnection, raw: RawFile, plan: Plan, rows: list[int], secret: str | None
) -> dict[int, dict[str, str | None]]:
    """The cells the plan read of some rows, phones masked, for the quarantine: what helps fix
    the row and nothing more.

    With pseudonyms on, the buyer's id is replaced in every cell of the row, so the quarantine
    holds no more of it than the tables.
    """
    if not rows:
        return {}
    present = {r[0] for r in con.execute(f"DESCRIBE {RAW}").fetchall()}
    kept = sorted(i for i in plan.read_cells() if f"r{i}" in present)
    cells = [f"r{i}" for i in kept]
    buyer_src = plan.sources.get("buyer_id") if secret else None
    buyer = q(buyer_src) if buyer_src in present else "NULL"
    con.register("_wanted", pa.table({"_row": pa.array(rows, pa.int64())}))
    select = ", ".join(["_row", buyer, *(q(c) for c in cells)])
    fetched = con.execute(
        f"SELECT {select} FROM {RAW} WHERE _row IN (SELECT _row FROM _wanted)"
    ).fetchall()
    con.unregister("_wanted")
    out: dict[int, dict[str, str | None]] = {}
    for record in fetched:
        values = dict(zip(cells, record[2:], strict=True))
        buyer_id = record[1]
        row: dict[str, str | None] = {}
        for i in kept:
            name = raw.headers[i] or f"column {i + 1}"
            value = mask_text(values.get(f"r{i}"))
            if secret and buyer_id and value:
                value = value.replace(buyer_id, pseudonym(secret, buyer_id))
            row[name] = value
        out[int(record[0])] = row
    return out


def import_file(
    con: duckdb.DuckDBPyConnection,
    raw: RawFile,
    plan: Plan,
    options: Options,
    import_id: int,
) -> tuple[FileOutcome, list[Rejected]]:
    """Import one file's rows into its canonical table (inside the caller's transaction)."""
    started = datetime.now(UTC).replace(tzinfo=None)
    schema = TABLES[plan.table]
    plan.check_required(raw.path.name)
    sha = file_sha256(raw.path)
    outcome = FileOutcome(str(raw.path), plan.table, plan.adapter, import_id, sha)

    _stage_cells(con, raw, plan)
    sql = validation_sql(schema, plan.sources, RAW, time_format=bool(options.time_format))
    params = {"tz": options.timezone, "shop": options.shop, "time_format": options.time_format}
    params = {k: v for k, v in params.items() if f"${k}" in sql}  # DuckDB rejects unused ones
    con.execute(f"CREATE OR REPLACE TEMP TABLE {PARSED} AS {sql}", params)
    if plan.closed_after_payment_refunded:
        con.execute(
            f"UPDATE {PARSED} SET refund_amount = amount "
            "WHERE status = 'closed' AND paid_at IS NOT NULL"
        )
    shops = _shops(con)
    others = sorted(set(shops) - {options.shop})
    if options.own_shop_only and others:
        raise ForeignShopError(raw.path.name, options.shop, others)
    if options.buyer_secret and "buyer_id" in schema.column_names:
        _pseudonymise(con, options.buyer_secret)

    # the quarantine's cap, checked before anything of the file is stored or fetched
    room = options.limits.max_quarantined - len(raw.malformed)
    room -= _scalar(con, f"SELECT count(*) FROM {PARSED} WHERE _errors IS NOT NULL")
    if room < 0:
        raise too_many_bad(raw.path.name, options.limits)
    dups = _build_stage(con, schema, raw.path.name, import_id, room)
    if dups is None:
        raise too_many_bad(raw.path.name, options.limits)
    outcome.stored, outcome.updated = upsert(con, schema, STAGE, given_columns(plan))

    bad = con.execute(
        f"SELECT _row, _errors, shop_id FROM {PARSED} WHERE _errors IS NOT NULL ORDER BY _row"
    ).fetchall()
    raw_rows = _raw_rows(
        con, raw, plan, [r[0] for r in bad] + [r[0] for r in dups], options.buyer_secret
    )
    rejected: list[Rejected] = []
    for row, errors, shop in bad:
        rejected.append(
            Rejected(
                int(row),
                ", ".join(e["column"] for e in errors),
                mask_text("; ".join(e["reason"] for e in errors)) or "",  # quotes the cells
                raw_rows.get(int(row), {}),
                str(shop),
            )
        )
    key = ", ".join(schema.key)
    for row, first, shop in dups:
        reason = f"same {key} as row {first} of this file (that row was kept)"
        rejected.append(Rejected(row, key, reason, raw_rows.get(row, {}), shop))
    for m in raw.malformed:
        rejected.append(Rejected(m.row, "", m.reason, _malformed_raw(m, raw, plan), options.shop))
    rejected.sort(key=lambda r: r.row)

    outcome.read = _scalar(con, f"SELECT count(*) FROM {RAW}") + len(raw.malformed)
    outcome.quarantined = len(rejected)
    _record(con, outcome, rejected, started, sorted({options.shop, *shops}))
    for t in (RAW, PARSED, STAGE):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return outcome, rejected


def _malformed_raw(m: Malformed, raw: RawFile, plan: Plan) -> dict[str, str | None]:
    """A row that could not be split into cells: its line is kept (masked) only when the import
    reads every column, else a cell of personal data or free text could be in it."""
    if plan.read_cells() >= set(range(len(raw.headers))):
        return {"text": mask_text(m.text)}
    return {}


def _shops(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The shops the validated rows belong to (their shop cell, else the import's shop)."""
    rows = con.execute(f"SELECT DISTINCT shop_id FROM {PARSED}").fetchall()
    return [str(r[0]) for r in rows]


def _record(
    con: duckdb.DuckDBPyConnection,
    outcome: FileOutcome,
    rejected: list[Rejected],
    started: datetime,
    shops: list[str],
) -> None:
    """Write the history row and the quarantine of one file (replacing the quarantine of an
    earlier import of the very same file, which would list the same rows again, in ``shops``
    only: another shop that imported the same bytes keeps its own)."""
    con.execute(
        "DELETE FROM quarantine WHERE list_contains($shops, shop_id) AND import_id IN "
        "(SELECT id FROM imports WHERE sha256 = $sha AND table_name = $table)",
        {"sha": outcome.sha256, "table": outcome.table, "shops": shops},
    )
    if rejected:
        rows = pa.table(
            {
                "import_id": pa.array([outcome.import_id] * len(rejected), pa.int64()),
                "shop_id": [r.shop for r in rejected],
                "table_name": [outcome.table] * len(rejected),
                "file": [outcome.file] * len(rejected),
                "source_row": pa.array([r.row for r in rejected], pa.int64()),
                "column_name": [r.column for r in rejected],
                "reason": [r.reason for r in rejected],
                "raw_json": [json.dumps(r.raw, ensure_ascii=False) for r in rejected],
            }
        )
        con.register("_rejected", rows)
        con.execute("INSERT INTO quarantine BY NAME SELECT * FROM _rejected")
        con.unregister("_rejected")
    con.execute(
        "INSERT INTO imports VALUES ($id, $file, $sha, $table, $adapter, $read, $stored, "
        "$updated, $quarantined, $started, $finished)",
        {
            "id": outcome.import_id,
            "file": outcome.file,
            "sha": outcome.sha256,
            "table": outcome.table,
            "adapter": outcome.adapter,
            "read": outcome.read,
            "stored": outcome.stored,
            "updated": outcome.updated,
            "quarantined": outcome.quarantined,
            "started": started,
            "finished": datetime.now(UTC).replace(tzinfo=None),
        },
    )
