"""The catalog a run computes with, copied when its data is cut."""

from django.db import connection


def catalog_snapshot(*, run_id: int) -> None:
    """The catalog as the run computes: every track's artist and title, and the splits of
    the tracks that have some (a track without splits pays 100% to its artist). Caller
    holds a transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO payouts_runtrack (run_id, isrc, artist, title) "
            "SELECT %s, isrc, artist_id, title FROM artists_track",
            [run_id],
        )
        cursor.execute(
            "INSERT INTO payouts_runsplit (run_id, isrc, artist, payee, share) "
            "SELECT %s, t.isrc, t.artist_id, s.payee_id, s.share "
            "FROM artists_track t JOIN artists_split s ON s.track_id = t.isrc",
            [run_id],
        )
        if connection.vendor == "postgresql":
            # Fresh rows the chunks join against at once: give the planner their statistics.
            cursor.execute("ANALYZE payouts_runtrack")
            cursor.execute("ANALYZE payouts_runsplit")
