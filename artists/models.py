"""Catalog and access: distributors, artists, releases, tracks, payees, splits, musical works
(with their writers' shares and the recordings linked to them), API clients.

External ids (artist, payee and work ids, ISRCs, UPCs) are the primary keys, unique across the
platform, and each row belongs to at most one distributor (none: managed by admins).
"""

from django.db import models


class Distributor(models.Model):
    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Artist(models.Model):
    id = models.CharField(primary_key=True, max_length=64)
    name = models.CharField(max_length=300)
    distributor = models.ForeignKey(
        Distributor, on_delete=models.PROTECT, null=True, blank=True, related_name="artists"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"


class Payee(models.Model):
    """Whoever receives money from splits. A payee of kind `artist` is that artist itself."""

    class Kind(models.TextChoices):
        ARTIST = "artist"
        LABEL = "label"
        PUBLISHER = "publisher"
        PRODUCER = "producer"
        OTHER = "other"
        WRITER = "writer"  # last: the kinds' order is the API schema's enum order

    id = models.CharField(primary_key=True, max_length=64)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=300)
    distributor = models.ForeignKey(
        Distributor, on_delete=models.PROTECT, null=True, blank=True, related_name="payees"
    )
    artist = models.OneToOneField(
        Artist, on_delete=models.PROTECT, null=True, blank=True, related_name="payee"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="payee_artist_kind_matches",
                condition=(models.Q(kind="artist", artist__isnull=False) | ~models.Q(kind="artist")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind} {self.id})"


class Release(models.Model):
    upc = models.CharField(primary_key=True, max_length=14, verbose_name="UPC/EAN")
    title = models.CharField(max_length=300)
    distributor = models.ForeignKey(
        Distributor, on_delete=models.PROTECT, null=True, blank=True, related_name="releases"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.upc})"


class Track(models.Model):
    isrc = models.CharField(primary_key=True, max_length=12, verbose_name="ISRC")
    title = models.CharField(max_length=300)
    duration_ms = models.PositiveIntegerField()
    artist = models.ForeignKey(Artist, on_delete=models.PROTECT, related_name="tracks")
    release = models.ForeignKey(
        Release, on_delete=models.PROTECT, null=True, blank=True, related_name="tracks"
    )
    distributor = models.ForeignKey(
        Distributor, on_delete=models.PROTECT, null=True, blank=True, related_name="tracks"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["isrc"]

    def __str__(self) -> str:
        return f"{self.title} ({self.isrc})"


class Split(models.Model):
    """A payee's share of a track's money. A track's shares sum to exactly 1."""

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="splits")
    payee = models.ForeignKey(Payee, on_delete=models.PROTECT, related_name="splits")
    share = models.DecimalField(max_digits=7, decimal_places=6)

    class Meta:
        ordering = ["track", "-share", "payee"]
        constraints = [
            models.UniqueConstraint(fields=["track", "payee"], name="split_one_row_per_payee"),
            models.CheckConstraint(
                name="split_share_in_range", condition=models.Q(share__gt=0, share__lte=1)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.track_id} → {self.payee_id}: {self.share}"


class Work(models.Model):
    """A musical work (the song as written, not a recording of it). Its publishing money goes
    to its writers and publishers by their shares (`WorkShare`, exactly 1 in all), and it
    receives that money from the recordings linked to it (`RecordingLink`)."""

    id = models.CharField(primary_key=True, max_length=64)
    # The display form T-DDD.DDD.DDD-C (kalipxo.validation.normalize_iswc); NULLs do not clash.
    iswc = models.CharField(max_length=15, unique=True, null=True, blank=True, verbose_name="ISWC")
    title = models.CharField(max_length=300)
    distributor = models.ForeignKey(
        Distributor, on_delete=models.PROTECT, null=True, blank=True, related_name="works"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.id})"


class WorkShare(models.Model):
    """A writer's or publisher's share of a work's money. A work's shares sum to exactly 1."""

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="shares")
    payee = models.ForeignKey(Payee, on_delete=models.PROTECT, related_name="work_shares")
    share = models.DecimalField(max_digits=7, decimal_places=6)
    ipi = models.CharField(max_length=11, null=True, blank=True, verbose_name="IPI")

    class Meta:
        ordering = ["work", "id"]  # the order they were posted in
        constraints = [
            models.UniqueConstraint(fields=["work", "payee"], name="workshare_one_row_per_payee"),
            models.CheckConstraint(
                name="workshare_share_in_range", condition=models.Q(share__gt=0, share__lte=1)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.work_id} → {self.payee_id}: {self.share}"


class RecordingLink(models.Model):
    """The share of a recording's publishing money that goes to a work. One recording's links,
    over all works, sum to at most 1; the rest is held in mechanical suspense."""

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="work_links")
    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="recording_links")
    share = models.DecimalField(max_digits=7, decimal_places=6)

    class Meta:
        ordering = ["work", "id"]
        constraints = [
            models.UniqueConstraint(fields=["track", "work"], name="recordinglink_one_row_per_work"),
            models.CheckConstraint(
                name="recordinglink_share_in_range", condition=models.Q(share__gt=0, share__lte=1)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.track_id} → {self.work_id}: {self.share}"


class ApiClient(models.Model):
    """A bearer token and the role it acts in. Only a SHA-256 of the token is stored."""

    class Role(models.TextChoices):
        INGEST = "ingest"
        BILLING = "billing"
        DISTRIBUTOR = "distributor"
        ARTIST = "artist"
        ADMIN = "admin"

    name = models.CharField(max_length=200, unique=True)
    role = models.CharField(max_length=16, choices=Role.choices)
    distributor = models.ForeignKey(
        Distributor, on_delete=models.PROTECT, null=True, blank=True, related_name="api_clients"
    )
    artist = models.ForeignKey(
        Artist, on_delete=models.PROTECT, null=True, blank=True, related_name="api_clients"
    )
    token_prefix = models.CharField(max_length=16, help_text="First characters, to recognise a token.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="apiclient_distributor_role_has_distributor",
                condition=~models.Q(role="distributor") | models.Q(distributor__isnull=False),
            ),
            models.CheckConstraint(
                name="apiclient_artist_role_has_artist",
                condition=~models.Q(role="artist") | models.Q(artist__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.role})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class PortalAccount(models.Model):
    """Links a web login to the artist, the distributor, or the writer or publisher (a payee
    paid for musical works) whose pages it may see."""

    class Role(models.TextChoices):
        OWNER = "owner"
        VIEWER = "viewer"

    user = models.OneToOneField("auth.User", on_delete=models.CASCADE, related_name="portal_account")
    artist = models.ForeignKey(
        Artist, on_delete=models.PROTECT, null=True, blank=True, related_name="accounts"
    )
    distributor = models.ForeignKey(
        Distributor, on_delete=models.PROTECT, null=True, blank=True, related_name="accounts"
    )
    payee = models.ForeignKey(Payee, on_delete=models.PROTECT, null=True, blank=True, related_name="accounts")
    role = models.CharField(
        max_length=6,
        choices=Role.choices,
        default=Role.OWNER,
        help_text="An owner of an artist invites and removes its other logins and submits its "
        "identity; a viewer only sees its pages.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="portal_account_one_scope",
                condition=models.Q(artist__isnull=False, distributor__isnull=True, payee__isnull=True)
                | models.Q(artist__isnull=True, distributor__isnull=False, payee__isnull=True)
                | models.Q(artist__isnull=True, distributor__isnull=True, payee__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.artist_id or self.distributor or self.payee_id}"
