"""The payments audit log: append-only (the database refuses updates and deletes)."""

from typing import Any

from payments.models import AuditEntry


def audit(*, actor: str, action: str, subject: str, detail: dict[str, Any] | None = None) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor[:200], action=action[:40], subject=subject[:100], detail=detail or {}
    )
