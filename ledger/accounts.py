"""Ledger account codes, typed.

A posting names its account as text (`pool:2026-10`, `payable:payee:art-1`, `retained`...).
The text stays the stored form, because postings are append-only and the database refuses
to rewrite them; this module is the one place that knows the codes' shapes. Every account is
one kind: a kind either has one account (`retained`) or one per key (`pool:` + month).
The database checks the same list (`ACCOUNT_CHECK`), so no posting can name an account
that this module cannot read back.
"""

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from django.db.models import Q


class AccountKind(StrEnum):
    POOL = "pool"  # a month's rights pools, credited when the month is paid (docs/rules.md §2)
    PAYABLE = "payable"  # what a payee is owed for recordings (docs/rules.md §2 Payees and payments)
    PUBLISHING = "publishing"  # what a payee is owed for musical works (docs/rules.md §2 Publishing)
    SUSPENSE = "suspense"  # unmatched recordings, per ISRC, until claimed (docs/rules.md §2)
    RETAINED = "retained"  # pools of rejected or unallocated listeners kept (docs/rules.md §2)
    PLATFORM = "platform"  # the service's own share
    FEES = "fees"  # a distributor's distribution fees (docs/rules.md §2 Deductions)
    WITHHOLDING = "withholding"  # tax withheld from a payee, owed to the tax authority (§2 Deductions)
    CASH = "cash"  # money paid out (docs/rules.md §2 Payees and payments)
    MECHANICAL = "mechanical"  # mechanical suspense, per ISRC (docs/rules.md §2 Publishing)
    TRANSIT = "transit"  # one payment's amount, sent and not yet confirmed (§2 Payees and payments)
    ADJUSTMENTS = "adjustments"  # corrections of final months, approved (docs/rules.md §2 Deductions)


# Kinds with one account per key: the code is the prefix followed by the key.
PREFIXES: dict[AccountKind, str] = {
    AccountKind.POOL: "pool:",
    AccountKind.PAYABLE: "payable:payee:",
    AccountKind.PUBLISHING: "publishing:payee:",
    AccountKind.SUSPENSE: "suspense:isrc:",
    AccountKind.FEES: "fees:distributor:",
    AccountKind.MECHANICAL: "mechanical:isrc:",
    AccountKind.WITHHOLDING: "withholding:payee:",
    AccountKind.TRANSIT: "transit:payment:",
}
# Kinds with a single account: the code is the kind's name.
SINGLE: tuple[AccountKind, ...] = (
    AccountKind.RETAINED,
    AccountKind.PLATFORM,
    AccountKind.CASH,
    AccountKind.ADJUSTMENTS,
)
MAX_LENGTH = 100  # the posting's account column
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class UnknownAccount(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Account:
    kind: AccountKind
    key: str = ""

    def __post_init__(self) -> None:
        if self.kind in SINGLE:
            if self.key:
                raise UnknownAccount(f"The {self.kind} account has no key (got {self.key!r}).")
        elif not self.key:
            raise UnknownAccount(f"A {self.kind} account needs a key.")
        elif self.kind is AccountKind.POOL and not _MONTH.fullmatch(self.key):
            raise UnknownAccount(f"A pool account's key is a month YYYY-MM, not {self.key!r}.")
        if len(self.code) > MAX_LENGTH:
            raise UnknownAccount(f"Account code longer than {MAX_LENGTH} characters: {self.code!r}.")

    @property
    def code(self) -> str:
        """The text stored in the posting."""
        return self.kind.value if self.kind in SINGLE else PREFIXES[self.kind] + self.key

    def __str__(self) -> str:
        return self.code


def pool(month: date) -> Account:
    return Account(AccountKind.POOL, f"{month:%Y-%m}")


def payable(payee: str) -> Account:
    return Account(AccountKind.PAYABLE, payee)


def publishing(payee: str) -> Account:
    return Account(AccountKind.PUBLISHING, payee)


def suspense(isrc: str) -> Account:
    return Account(AccountKind.SUSPENSE, isrc)


def fees(distributor: str) -> Account:
    return Account(AccountKind.FEES, distributor)


def mechanical(isrc: str) -> Account:
    return Account(AccountKind.MECHANICAL, isrc)


def withholding(payee: str) -> Account:
    return Account(AccountKind.WITHHOLDING, payee)


def transit(reference: str) -> Account:
    return Account(AccountKind.TRANSIT, reference)


RETAINED = Account(AccountKind.RETAINED)
PLATFORM = Account(AccountKind.PLATFORM)
CASH = Account(AccountKind.CASH)
ADJUSTMENTS = Account(AccountKind.ADJUSTMENTS)


def account_parse(code: str) -> Account:
    """The account a stored code names; `UnknownAccount` when it is none of the kinds."""
    for kind in SINGLE:
        if code == kind.value:
            return Account(kind)
    for kind, prefix in PREFIXES.items():
        if code.startswith(prefix):
            return Account(kind, code[len(prefix) :])
    raise UnknownAccount(f"Not a ledger account: {code!r}.")


def prefix(kind: AccountKind) -> str:
    """The code's prefix of a keyed kind, for SQL that builds codes (`prefix || payee`)."""
    return PREFIXES[kind]


def _check() -> Q:
    """Every code is a single account's name, or a keyed kind's prefix with a non-empty key.

    Plain LIKE and comparisons, so that SQLite checks it as PostgreSQL does; the keys' own
    shapes (a pool's month) are checked by `Account`.
    """
    check = Q(account__in=[kind.value for kind in SINGLE])
    for code_prefix in PREFIXES.values():
        check |= Q(account__startswith=code_prefix, account__gt=code_prefix)
    return check


ACCOUNT_CHECK = _check()
