"""Advisory locks of a run's steps: one session works on a step; a crashed worker's lock
goes with its session, which is how recovery tells a lost step from a slow one."""

from django.db import connection

from payouts.engine.sql import one

ADVISORY_NAMESPACE = 0x6B78  # "kx": first key of our advisory locks


def _lock_key(stage: str, run_id: int, index: int) -> str:
    return f"{stage}:{run_id}:{index}"


def try_lock(*, stage: str, run_id: int, index: int) -> bool:
    """Take a step's advisory lock for this transaction; False if another session has it.

    A crashed worker's session ends and its lock with it, which is how the sweeper tells
    a lost step from a slow one.
    """
    with connection.cursor() as cursor:
        (locked,) = one(
            cursor,
            "SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))",
            [ADVISORY_NAMESPACE, _lock_key(stage, run_id, index)],
        )
    return bool(locked)


def is_locked(*, stage: str, run_id: int, index: int) -> bool:
    """Whether some session is working on the step right now (its advisory lock is held)."""
    with connection.cursor() as cursor:
        (held,) = one(
            cursor,
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = %s::int::oid AND objid = hashtext(%s)::oid AND objsubid = 2)",
            [ADVISORY_NAMESPACE, _lock_key(stage, run_id, index)],
        )
    return bool(held)
