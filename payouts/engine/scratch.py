"""A run's scratch tables: unlogged, per run, partitioned by ISRC bucket; created with the
chunks, dropped by the finish (see `payouts.engine`)."""

from dataclasses import dataclass

from django.db import connection

from payouts.engine.sql import one


@dataclass(frozen=True)
class Scratch:
    """Names of a run's scratch tables (ours, never client input)."""

    run_id: int

    def table(self, name: str) -> str:
        return f"kx_run{int(self.run_id)}_{name}"

    @property
    def parts(self) -> str:  # (chunk, bucket, isrc, country, tier, streams, amount)
        return self.table("parts")

    @property
    def isrc_listeners(self) -> str:  # (chunk, bucket, isrc, listeners)
        return self.table("isrc_listeners")

    @property
    def artist_listeners(self) -> str:  # (chunk, artist, listeners)
        return self.table("artist_listeners")

    @property
    def flags(self) -> str:  # (chunk, listener, rule, sort_key, detail)
        return self.table("flags")

    @property
    def devices(self) -> str:  # (chunk, device, listener)
        return self.table("devices")

    @property
    def sums(self) -> str:  # (bucket, kind, key, streams, amount, pro_rata_amount)
        return self.table("sums")

    @property
    def intact(self) -> str:  # one row, written with the tables (see `scratch_require`)
        return self.table("intact")

    def all(self) -> list[str]:
        return [
            self.parts, self.isrc_listeners, self.artist_listeners, self.flags, self.devices, self.sums,
            self.intact,
        ]  # fmt: skip


class ScratchLost(RuntimeError):
    """The run's scratch tables were emptied under it: the run cannot go on."""


def scratch_create(*, run_id: int, buckets: int) -> None:
    """Create the run's scratch tables (again, if a failed attempt left some)."""
    scratch = Scratch(run_id)
    with connection.cursor() as cursor:
        scratch_drop(run_id=run_id)
        for name, columns in (
            (
                scratch.parts,
                "chunk int, bucket int, isrc text, country text, tier text, streams bigint, amount numeric",
            ),
            (scratch.isrc_listeners, "chunk int, bucket int, isrc text, listeners bigint"),
        ):
            cursor.execute(f"CREATE TABLE {name} ({columns}) PARTITION BY LIST (bucket)")
            for bucket in range(buckets):
                cursor.execute(
                    f"CREATE UNLOGGED TABLE {name}_{bucket} PARTITION OF {name} FOR VALUES IN ({bucket})"
                )
        cursor.execute(
            f"CREATE UNLOGGED TABLE {scratch.artist_listeners} (chunk int, artist text, listeners bigint)"
        )
        cursor.execute(
            f"CREATE UNLOGGED TABLE {scratch.flags} (chunk int, listener text, rule text, sort_key "
            "text, detail text)"
        )
        cursor.execute(f"CREATE UNLOGGED TABLE {scratch.devices} (chunk int, device text, listener text)")
        cursor.execute(
            f"CREATE UNLOGGED TABLE {scratch.sums} (bucket int, kind text, key text, streams bigint, "
            "amount numeric, pro_rata_amount numeric)"
        )
        cursor.execute(f"CREATE UNLOGGED TABLE {scratch.intact} AS SELECT true AS intact")


def scratch_require(*, run_id: int) -> None:
    """Refuse to go on when the run's scratch tables were emptied.

    PostgreSQL empties every unlogged table when it recovers from a crash (or a replica is
    promoted): steps already marked done would have lost their rows, and the run would
    miss holds or come out short. A run whose marker row is gone fails with this reason
    instead; its month is then started again. Runs whose scratch predates the marker
    table are not checked.
    """
    marker = Scratch(run_id).intact
    with connection.cursor() as cursor:
        (exists,) = one(cursor, "SELECT to_regclass(%s) IS NOT NULL", [marker])
        if not exists:
            return
        (rows,) = one(cursor, f"SELECT count(*) FROM {marker}")  # noqa: S608
    if not rows:
        raise ScratchLost(
            f"the scratch tables of run {run_id} were emptied (the database recovered from a crash "
            "or failed over); start the month again"
        )


def scratch_drop(*, run_id: int) -> None:
    with connection.cursor() as cursor:
        for name in Scratch(run_id).all():
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
