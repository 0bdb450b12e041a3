"""What every step of a run shares: the row lock, the progress milestones, the engine."""

from django.db import connection

from payouts.models import PayoutRun
from payouts.run.errors import RunNotFound

Status = PayoutRun.Status

# Progress milestones (0–1) shown while a run moves on: listener chunks (screening and
# computing in one pass) fill 5-50%, review holds at 50%, ISRC merges fill 55-95%.
PROGRESS_SCREENING = 0.05
PROGRESS_CHUNKS = 0.45
PROGRESS_REVIEW = 0.5
PROGRESS_COMPUTING = 0.55
PROGRESS_MERGES = 0.4

UNFINISHED = (Status.QUEUED, Status.SCREENING, Status.REVIEW, Status.COMPUTING)


def uses_sql() -> bool:
    """Chunked set-based SQL on PostgreSQL; the pure maths in-process on SQLite."""
    return connection.vendor == "postgresql"


def locked(run_id: int) -> PayoutRun:
    """The run's row, locked for the caller's transaction."""
    run = PayoutRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None:
        raise RunNotFound(f"No payout run {run_id}.")
    return run
