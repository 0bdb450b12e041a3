"""The catalog as a run computed it: tracks, splits, recording-to-work links and works."""

from decimal import Decimal

from django.db import models

from payouts.models.runs import PayoutRun


class RunTrack(models.Model):
    """The catalog as the run computed it: each ISRC's artist and title."""

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="catalog", db_index=False)
    isrc = models.CharField(max_length=12)
    artist = models.CharField(max_length=64)
    title = models.CharField(max_length=300)
    # The share of the recording linked to works (the rest of its publishing money is
    # mechanical suspense), summed once when the catalog is copied.
    linked_share = models.DecimalField(max_digits=7, decimal_places=6, db_default=Decimal(0))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "isrc"], name="run_track_unique")]
        indexes = [models.Index(fields=["run", "artist"], name="run_track_artist")]

    def __str__(self) -> str:
        return f"Run {self.run_id} {self.isrc} ({self.artist})"


class RunSplit(models.Model):
    """The splits as the run computed them, for the tracks that have some.

    A track of the run's catalog (RunTrack) without rows here paid 100% to its artist; an
    ISRC not in that catalog went to suspense.
    """

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="splits", db_index=False)
    isrc = models.CharField(max_length=12)
    artist = models.CharField(max_length=64)
    payee = models.CharField(max_length=64)
    share = models.DecimalField(max_digits=7, decimal_places=6)

    class Meta:
        indexes = [
            models.Index(fields=["run", "isrc"], name="run_split_isrc"),
            models.Index(fields=["run", "payee"], name="run_split_payee"),
        ]

    def __str__(self) -> str:
        return f"Run {self.run_id} {self.isrc} → {self.payee}: {self.share}"


class RunWorkLink(models.Model):
    """The recording-to-work links as the run computed them: a recording's publishing
    amount goes to these works by `share`; the rest of it waits in mechanical suspense."""

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="work_links", db_index=False)
    isrc = models.CharField(max_length=12)
    work = models.CharField(max_length=64)
    share = models.DecimalField(max_digits=7, decimal_places=6)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "isrc", "work"], name="run_work_link_unique")]

    def __str__(self) -> str:
        return f"Run {self.run_id} {self.isrc} → {self.work}: {self.share}"


class RunWorkShare(models.Model):
    """A work's writers and publishers as the run computed them (shares add up to 1)."""

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="work_shares", db_index=False)
    work = models.CharField(max_length=64)
    title = models.CharField(max_length=300)
    payee = models.CharField(max_length=64)
    share = models.DecimalField(max_digits=7, decimal_places=6)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "work", "payee"], name="run_work_share_unique")]

    def __str__(self) -> str:
        return f"Run {self.run_id} {self.work} → {self.payee}: {self.share}"
