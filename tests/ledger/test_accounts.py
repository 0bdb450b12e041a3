"""Account codes: every kind builds its code, and every code parses back to its account."""

from datetime import date

import pytest

from ledger import accounts
from ledger.accounts import Account, AccountKind, UnknownAccount, account_parse

EXAMPLES = [
    (accounts.pool(date(2026, 10, 1)), AccountKind.POOL, "2026-10", "pool:2026-10"),
    (accounts.payable("art-1"), AccountKind.PAYABLE, "art-1", "payable:payee:art-1"),
    (accounts.publishing("wri-1"), AccountKind.PUBLISHING, "wri-1", "publishing:payee:wri-1"),
    (accounts.suspense("ZZXXX2600009"), AccountKind.SUSPENSE, "ZZXXX2600009", "suspense:isrc:ZZXXX2600009"),
    (accounts.RETAINED, AccountKind.RETAINED, "", "retained"),
    (accounts.PLATFORM, AccountKind.PLATFORM, "", "platform"),
    (accounts.fees("dist-1"), AccountKind.FEES, "dist-1", "fees:distributor:dist-1"),
    (accounts.withholding("art-1"), AccountKind.WITHHOLDING, "art-1", "withholding:payee:art-1"),
    (accounts.CASH, AccountKind.CASH, "", "cash"),
    (accounts.transit("KX-2026-10-1"), AccountKind.TRANSIT, "KX-2026-10-1", "transit:payment:KX-2026-10-1"),
    (accounts.ADJUSTMENTS, AccountKind.ADJUSTMENTS, "", "adjustments"),
    (
        accounts.mechanical("QZKPX2600001"),
        AccountKind.MECHANICAL,
        "QZKPX2600001",
        "mechanical:isrc:QZKPX2600001",
    ),
]


@pytest.mark.parametrize(("account", "kind", "key", "code"), EXAMPLES)
def test_each_kind_builds_its_code_and_parses_back(
    account: Account, kind: AccountKind, key: str, code: str
) -> None:
    assert (account.kind, account.key, account.code, str(account)) == (kind, key, code, code)
    assert account_parse(code) == account


def test_every_kind_has_an_example() -> None:
    assert {kind for _, kind, _, _ in EXAMPLES} == set(AccountKind)


def test_the_settlement_codes_of_today_parse() -> None:
    """The codes already in the ledger, as the settlement has always written them."""
    assert account_parse("pool:2025-06") == Account(AccountKind.POOL, "2025-06")
    assert account_parse("payable:payee:pub-7") == accounts.payable("pub-7")
    assert account_parse("payable:payee:a:b") == accounts.payable("a:b")  # the key is the rest
    assert accounts.prefix(AccountKind.PAYABLE) + "art-2" == accounts.payable("art-2").code


@pytest.mark.parametrize(
    "code",
    ["", "retained:x", "Retained", "pool:", "pool:2026-13", "pool:2026-1", "pool:26-10", "payable:art-1",
     "payable:payee:", "suspense:isrc:", "fees:", "mechanical:isrc:", "cash ", "withholding",
     "transit:payment:", "payee:art-1", "payable:payee:" + "x" * 100],
)  # fmt: skip
def test_codes_of_no_known_kind_are_refused(code: str) -> None:
    with pytest.raises(UnknownAccount):
        account_parse(code)


def test_single_accounts_take_no_key_and_keyed_ones_need_one() -> None:
    with pytest.raises(UnknownAccount):
        Account(AccountKind.RETAINED, "x")
    with pytest.raises(UnknownAccount):
        Account(AccountKind.PAYABLE)
    with pytest.raises(UnknownAccount):
        accounts.payable("")
