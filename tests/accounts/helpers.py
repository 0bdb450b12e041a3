"""What the account tests share: reading a link from an e-mail, a TOTP code like an app's."""

import re

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

from tests.mail import Inbox


def link_in(inbox: Inbox, address: str, *, containing: str) -> str:
    """The path of the last link to `containing` in the last mail to `address`."""
    mails = inbox.to(address)
    assert mails, f"no mail to {address}"
    links = re.findall(r"https?://[^/\s]+(/\S+)", inbox.body(mails[-1]))
    chosen = [link for link in links if containing in link]
    assert chosen, f"no {containing} link in: {inbox.body(mails[-1])}"
    return chosen[-1]


def totp_now(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
