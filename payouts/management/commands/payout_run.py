"""`python manage.py payout_run YYYY-MM [--finalize] [--restart]`: a month's payout run from the shell.

Starts the month's run (or picks up the one already started), prints its progress and a
summary. Without a broker (no REDIS_URL) the run is computed in this process; with one,
the workers compute it and this command follows along. Listeners held by screening must
be decided (API, console or Django admin) before the run can go on; the command then
stops and says so. `--finalize` writes the ledger and closes the month once computed.

A month whose run failed is started again from scratch by the same command. `--restart`
first abandons the month's run that is not finalized (stuck, disputed by `verify_run`,
or computed before late data came in) and then does the same.

Exit status: 0 computed or finalized, 1 the run failed (or workers did not finish it in
time), 2 a bad month or a finalized month to restart, 3 waiting for hold decisions.
"""

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from payouts import selectors
from payouts.models import PayoutRun
from payouts.run import driver, errors, finalize, start
from payouts.run import selectors as run_selectors

Status = PayoutRun.Status
POLL_SECONDS = 0.5
EXIT_USAGE = 2
EXIT_REVIEW = 3


class Command(BaseCommand):
    help = "Run (and optionally finalize) the payout run of a month, printing progress and a summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--finalize", action="store_true", help="Finalize once computed.")
        parser.add_argument(
            "--in-process",
            action="store_true",
            help="Compute in this process even when workers are configured.",
        )
        parser.add_argument("--timeout", type=float, default=3600.0, help="Seconds to wait for workers.")
        parser.add_argument(
            "--restart",
            action="store_true",
            help="Abandon the month's run if it is not finalized (it becomes failed) and start the "
            "month again from scratch.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            month = start.month_to_run(options["month"])
        except errors.RunProblem as exc:
            raise CommandError(exc.detail, returncode=EXIT_USAGE) from exc
        in_process = options["in_process"] or settings.CELERY_TASK_ALWAYS_EAGER
        started = time.monotonic()
        failed_before = run_selectors.last_failed_run(month)
        abandoned = None
        try:
            if options["restart"]:
                abandoned, run, created = start.payout_run_restart(
                    month=month, requested_by="manage.py", dispatch=not in_process
                )
            else:
                run, created = start.payout_run_start(
                    month=month, requested_by="manage.py", dispatch=not in_process
                )
        except errors.RunProblem as exc:
            raise CommandError(exc.detail, returncode=EXIT_USAGE) from exc
        label = f"{month:%Y-%m}"
        if abandoned is not None:
            self.stdout.write(f"Run {abandoned.pk} for {label} abandoned: {abandoned.failure_reason}.")
        elif created and failed_before is not None:
            self.stdout.write(f"Run {failed_before.pk} for {label} failed: {failed_before.failure_reason}")
        if created and (abandoned or failed_before):
            self.stdout.write("Starting the month again from scratch: new data cut, screening, holds.")
        self.stdout.write(
            f"Run {run.pk} for {month:%Y-%m} {'started' if created else 'found'} ({run.status})."
        )
        self._last: tuple[str, float] | None = None
        if in_process:
            run = driver.payout_run_drive(run_id=run.pk, on_progress=self._progress)
        else:
            run = self._follow(run.pk, timeout=options["timeout"])
        if run.status == Status.REVIEW:
            self._summary(run)
            self.stdout.write(
                "Listeners are held for review: decide them (API, console or Django admin), "
                "then run this command again."
            )
            raise SystemExit(EXIT_REVIEW)
        if run.status == Status.FAILED:
            raise CommandError(
                f"Run {run.pk} failed: {run.failure_reason}\n"
                f"Once the cause is fixed, `manage.py payout_run {month:%Y-%m}` starts the month again."
            )
        if options["finalize"] and run.status == Status.COMPUTED:
            try:
                run = finalize.payout_run_finalize(run_id=run.pk, finalized_by="manage.py")
            except errors.RunProblem as exc:
                raise CommandError(exc.detail) from exc
            self._progress(run)
        self._summary(run)
        self.stdout.write(f"Done in {time.monotonic() - started:.1f}s.")

    def _progress(self, run: PayoutRun) -> None:
        now = (run.status, round(run.progress, 2))
        if now != self._last:
            self._last = now
            self.stdout.write(f"  {run.status:<10} {run.progress:6.1%}")

    def _follow(self, run_id: int, *, timeout: float) -> PayoutRun:
        deadline = time.monotonic() + timeout
        while True:
            run = PayoutRun.objects.get(pk=run_id)
            self._progress(run)
            if run.status in (Status.REVIEW, Status.COMPUTED, Status.FINALIZED, Status.FAILED):
                return run
            if time.monotonic() > deadline:
                raise CommandError(
                    f"Run {run_id} still {run.status} after {timeout:.0f}s; is a worker running?"
                )
            time.sleep(POLL_SECONDS)

    def _summary(self, run: PayoutRun) -> None:
        detail = selectors.run_detail(run.pk) or {}
        totals = detail.get("totals", {})
        currency = detail.get("currency", "")
        lines = [
            f"Run {run.pk} {detail.get('month')}: {run.status}",
            f"  pools       {totals.get('pools')} {currency}",
            f"  allocated   {totals.get('allocated')}  to {totals.get('payees')} payees",
            f"  suspense    {totals.get('suspense')}",
            f"  retained    {totals.get('retained')}  (unallocated pools: {totals.get('unallocated')})",
            f"  streams     {totals.get('streams') or '-'} qualifying, "
            f"{totals.get('listeners') or '-'} listeners",
            f"  holds       {detail.get('holds')}",
        ]
        publishing = totals.get("publishing") or {}
        if publishing.get("pools") not in (None, "0.00"):  # the part of the totals above for works
            lines.insert(
                5,
                f"  works       pools {publishing['pools']}, allocated {publishing['allocated']}, "
                f"mechanical suspense {publishing['suspense']}, retained {publishing['retained']} "
                "(part of the figures above)",
            )
        comparison = detail.get("comparison")
        if comparison:
            lines.append(
                f"  models      (recordings) user-centric {comparison['total_user_centric']}, "
                f"pro-rata {comparison['total_pro_rata']}, progressive {comparison['total_progressive']}"
            )
        late = detail.get("late", {})
        if late.get("events") or late.get("revenue_records"):
            lines.append(
                f"  late        {late['events']} events, {late['revenue_records']} revenue records "
                "(stored and reported, not paid by this run)"
            )
        self.stdout.write("\n".join(lines))
