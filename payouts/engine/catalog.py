"""The catalog a run computes with, copied when its data is cut."""

from django.db import connection


def catalog_snapshot(*, run_id: int) -> None:
    """The catalog as the run computes: every track's artist and title, the splits of the
    tracks that have some (a track without splits pays 100% to its artist), the recordings'
    links to works and the works' writers and publishers. Caller holds a transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO payouts_runsplit (run_id, isrc, artist, payee, share) "
            "SELECT %s, t.isrc, t.artist_id, s.payee_id, s.share "
            "FROM artists_track t JOIN artists_split s ON s.track_id = t.isrc",
            [run_id],
        )
        # Only links to works that have writers: a work without any would pay nobody, and its
        # part of the recording stays in mechanical suspense.
        cursor.execute(
            "INSERT INTO payouts_runworklink (run_id, isrc, work, share) "
            "SELECT %s, l.track_id, l.work_id, l.share FROM artists_recordinglink l "
            "WHERE EXISTS (SELECT 1 FROM artists_workshare s WHERE s.work_id = l.work_id)",
            [run_id],
        )
        # Each track's linked share is summed once here, with the copy (one grouped join, not a
        # lookup per track), so the buckets never add links up again.
        cursor.execute(
            "INSERT INTO payouts_runtrack (run_id, isrc, artist, title, linked_share) "
            "SELECT %s, t.isrc, t.artist_id, t.title, coalesce(l.linked, 0) FROM artists_track t "
            "LEFT JOIN (SELECT isrc, sum(share) AS linked FROM payouts_runworklink WHERE run_id = %s "
            "GROUP BY isrc) l ON l.isrc = t.isrc",
            [run_id, run_id],
        )
        cursor.execute(
            "INSERT INTO payouts_runworkshare (run_id, work, title, payee, share) "
            "SELECT %s, w.id, w.title, s.payee_id, s.share "
            "FROM artists_work w JOIN artists_workshare s ON s.work_id = w.id",
            [run_id],
        )
        if connection.vendor == "postgresql":
            # Fresh rows the chunks join against at once: give the planner their statistics.
            cursor.execute("ANALYZE payouts_runtrack")
            cursor.execute("ANALYZE payouts_runsplit")
            cursor.execute("ANALYZE payouts_runworklink")
            cursor.execute("ANALYZE payouts_runworkshare")
