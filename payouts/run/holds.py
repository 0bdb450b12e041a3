"""Decisions on fraud holds (docs/rules.md §2 Fraud holds), one hold or many at once.

A decision may be made, or changed, while the run waits in `review`; once the last hold is
decided the run starts computing by itself (docs/rules.md §4), and from then on decisions
are final (409). Every decision, the first or a change, adds a `HoldDecisionRecord`: who,
when, what it was before and how the hold was chosen. The records are never edited.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from payouts.models import Hold, HoldDecisionRecord, PayoutRun
from payouts.run.compute import compute_begin
from payouts.run.enqueue import sender
from payouts.run.errors import RunInvalid, RunNotFound, RunProblem
from payouts.run.state import locked
from payouts.screening import RULE_SHARED_DEVICE, RULE_STREAMS_PER_DAY, RULE_TRACK_PLAYS_PER_DAY

RULES = (RULE_STREAMS_PER_DAY, RULE_TRACK_PLAYS_PER_DAY, RULE_SHARED_DEVICE)
MAX_LISTED = 5000  # ids in one request: more than any month's holds, bounded all the same
DECISION_HELP = 'Use "release" or "reject".'


@dataclass(frozen=True)
class Choice:
    """Which holds of a run a decision covers: listed ids, every hold a rule flagged (by
    reason), or every hold on a device. Exactly one is set."""

    holds: tuple[int, ...] = ()
    rule: str = ""
    device: str = ""

    def label(self) -> str:
        if self.rule:
            return f"by reason: {self.rule}"
        if self.device:
            return f"by device: {self.device}"
        return "one hold" if len(self.holds) == 1 else "selected rows"


@dataclass
class Outcome:
    """What a decision did to each hold it covered (ids)."""

    decision: str
    decided: list[int] = field(default_factory=list)  # were waiting
    changed: list[int] = field(default_factory=list)  # were decided the other way
    kept: list[int] = field(default_factory=list)  # decided the other way, left so (no `change`)
    unchanged: list[int] = field(default_factory=list)  # already so
    run_status: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "decided": self.decided,
            "changed": self.changed,
            "kept": self.kept,
            "unchanged": self.unchanged,
            "run_status": self.run_status,
        }


def parse_decision(value: object) -> str:
    if value not in Hold.Decision.values:
        raise RunInvalid(DECISION_HELP, field="decision")
    return str(value)


def parse_choice(body: dict[str, Any]) -> Choice:
    """The holds a request names: `holds` (a list of ids), `rule` or `device`; one of them."""
    given = [name for name in ("holds", "rule", "device") if body.get(name) not in (None, "", [])]
    if len(given) != 1:
        raise RunInvalid(
            'Say which holds: "holds" (a list of hold ids), "rule" (a reason\'s rule code) or "device"; '
            "exactly one of them.",
            field="holds",
        )
    name, value = given[0], body[given[0]]
    if name == "holds":
        if not isinstance(value, list) or len(value) > MAX_LISTED:
            raise RunInvalid(f"A list of at most {MAX_LISTED} hold ids.", field="holds")
        if not all(isinstance(item, int) and not isinstance(item, bool) and item > 0 for item in value):
            raise RunInvalid("Hold ids are positive whole numbers.", field="holds")
        return Choice(holds=tuple(dict.fromkeys(value)))
    if name == "rule":
        if value not in RULES:
            raise RunInvalid(f"One of: {', '.join(RULES)}.", field="rule")
        return Choice(rule=str(value))
    if not isinstance(value, str) or len(value) > 200:
        raise RunInvalid("A device id, as the holds' evidence lists it.", field="device")
    return Choice(device=value)


def _covered(run: PayoutRun, choice: Choice) -> list[Hold]:
    holds = Hold.objects.select_for_update().filter(run=run).order_by("id")
    if choice.holds:
        found = list(holds.filter(pk__in=choice.holds))
        missing = sorted(set(choice.holds) - {hold.pk for hold in found})
        if missing:
            shown = ", ".join(str(pk) for pk in missing[:10])
            raise RunInvalid(f"Not holds of payout run {run.pk}: {shown}.", field="holds")
        return found
    if choice.rule:
        # JSON containment is not portable to SQLite; a run's holds are few enough to filter here.
        return [hold for hold in holds if choice.rule in (hold.rules or [])]
    on_device = [
        hold
        for hold in holds
        if any(d.get("device") == choice.device for d in (hold.evidence or {}).get("devices", []))
    ]
    if not on_device:
        raise RunInvalid(f"No hold of payout run {run.pk} used device {choice.device}.", field="device")
    return on_device


def _record(hold: Hold, decision: str, *, by: str, chosen_by: str, at: Any) -> HoldDecisionRecord:
    previous = hold.decision
    hold.decision, hold.decided_at, hold.decided_by = decision, at, by
    return HoldDecisionRecord(
        hold=hold, decision=decision, previous=previous, decided_by=by, decided_at=at, chosen_by=chosen_by
    )


def _closed(run: PayoutRun) -> RunProblem:
    return RunProblem(
        f"Payout run {run.pk} is {run.status}: decisions are made or changed only while it waits for "
        "them (review), before computing starts."
    )


def holds_decide(
    *,
    run_id: int,
    decision: object,
    choice: Choice,
    decided_by: str,
    change: bool = False,
    dispatch: bool = True,
) -> Outcome:
    """Decide every hold `choice` covers, all or nothing.

    Holds already decided the other way are changed only with `change`; without it they
    are kept and reported. When no hold is left waiting, the run goes on computing.
    """
    decision = parse_decision(decision)
    by = decided_by[:200]
    with transaction.atomic():
        run = locked(run_id)
        holds = _covered(run, choice)
        outcome = Outcome(decision=decision)
        writes: list[Hold] = []
        records: list[HoldDecisionRecord] = []
        now = timezone.now()
        for hold in holds:
            if hold.decision == decision:
                outcome.unchanged.append(hold.pk)
                continue
            if hold.decision is not None and not change:
                outcome.kept.append(hold.pk)
                continue
            (outcome.changed if hold.decision else outcome.decided).append(hold.pk)
            records.append(_record(hold, decision, by=by, chosen_by=choice.label(), at=now))
            writes.append(hold)
        if writes and run.status != PayoutRun.Status.REVIEW:
            raise _closed(run)
        Hold.objects.bulk_update(writes, ["decision", "decided_at", "decided_by"])
        HoldDecisionRecord.objects.bulk_create(records)
        if writes and not run.holds.filter(decision__isnull=True).exists():
            compute_begin(run, send=sender(dispatch=dispatch))
        outcome.run_status = run.status
    return outcome


def hold_decide(
    *, run_id: int, hold_id: int, decision: object, decided_by: str, dispatch: bool = True
) -> Hold:
    """The v1 decision on one hold (docs/rules.md §4): release (counted normally) or reject
    (its streams count nowhere, its pool is retained). Deciding the same way again is a
    no-op, another way is 409 (changes go through `holds_decide(..., change=True)`). When
    the last hold of a run in review is decided, the run goes on computing by itself."""
    decision = parse_decision(decision)
    with transaction.atomic():
        run = locked(run_id)
        hold = Hold.objects.select_for_update().filter(run=run, pk=hold_id).first()
        if hold is None:
            raise RunNotFound(f"No hold {hold_id} in payout run {run_id}.")
        if hold.decision == decision:
            return hold
        if hold.decision is not None:
            raise RunProblem(
                f"Hold {hold_id} was already decided: {hold.decision}. To change it while the run "
                f'waits in review, send {{"holds": [{hold_id}], "decision": "{decision}", "change": true}} '
                f"to /api/v1/payout-runs/{run_id}/holds."
            )
        if run.status != PayoutRun.Status.REVIEW:
            raise _closed(run)
        record = _record(hold, decision, by=decided_by[:200], chosen_by=Choice(holds=(hold_id,)).label(),
                         at=timezone.now())  # fmt: skip
        hold.save(update_fields=["decision", "decided_at", "decided_by"])
        record.save()
        if not run.holds.filter(decision__isnull=True).exists():
            compute_begin(run, send=sender(dispatch=dispatch))
    return hold
