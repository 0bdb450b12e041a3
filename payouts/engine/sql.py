"""What every SQL step of a run shares: exactness constants, session settings, temporary
tables, the merge bucket of an ISRC and the chunk's grouping sets."""

from collections.abc import Sequence
from typing import Any

TERM_PLACES = 40  # decimals of a listener's per-stream rate
SUM_PLACES = 30  # decimals an amount is rounded to before its cent is decided
WORK_MEM = "256MB"  # per statement node; keeps a chunk's aggregates in memory
# GROUPING() bitmasks of the chunk's grouping sets over (isrc, day, device); a bit is 1
# when the column is absent from the set.
PLAYS_SET = 0b011  # (listener, isrc, country, tier)
DAYS_SET = 0b101  # (listener, day)
DEVICES_SET = 0b110  # (device, listener)


def bucket_sql(column: str, buckets: int) -> str:
    """The merge bucket of an ISRC: a stable hash, so every chunk puts it in the same one."""
    return f"mod(hashtext({column}) & 2147483647, {int(buckets)})"


def one(cursor: Any, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...]:
    cursor.execute(sql, params)
    row = cursor.fetchone()
    if row is None:  # aggregates always answer one row; anything else is a bug
        raise RuntimeError(f"No row from: {sql[:80]}")
    return tuple(row)


TEMP_TABLES = (
    "kx_multi",
    "kx_alloc",
    "kx_busy",
    "kx_g",
    "kx_isrc",
    "kx_pairs",
    "kx_pools",
    "kx_pr_rounded_lines",
    "kx_pr_rounded",
    "kx_progressive",
    "kx_pub",
    "kx_pub_other_rounded",
    "kx_pub_other_rounded_lines",
    "kx_pub_rounded",
    "kx_pub_rounded_lines",
    "kx_rate",
    "kx_rejected",
    "kx_rounded",
    "kx_rounded_lines",
    "kx_split",
    "kx_sums",
)


def fresh_temp_tables(cursor: Any) -> None:
    """Drop this session's temporary tables of an earlier step.

    They are ON COMMIT DROP, but a step that runs inside a caller's transaction (tests,
    in-process runs) commits nothing between steps.
    """
    cursor.execute("DROP TABLE IF EXISTS " + ", ".join(f"pg_temp.{name}" for name in TEMP_TABLES))


def roomy(cursor: Any) -> None:
    """Settings for this transaction's big statements: aggregates in memory rather than
    spilled to disk, and no JIT compilation, which costs more than it saves here (each
    statement runs once, over few rows per expression compiled)."""
    cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
    cursor.execute("SET LOCAL jit = off")
