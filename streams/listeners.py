"""Listeners appear with their first stream or revenue record; both writers add them here."""

from collections.abc import Iterable

from kalipxo.db import insert_ignoring_conflicts


def listeners_add(ids: Iterable[str]) -> None:
    """Add the listeners not stored yet (no display name, not shown to artists).

    In code-point order, as ingestion's single statement does on PostgreSQL, so concurrent
    writers lock new listeners in one order. Must run inside the caller's transaction.
    """
    insert_ignoring_conflicts(
        table="streams_listener",
        columns=(("id", "varchar"), ("display_name", "varchar"), ("show_to_artists", "boolean")),
        rows=[(listener, "", False) for listener in sorted(set(ids))],
        conflict="id",
        returning="id",
    )
