"""Test settings: the real settings, with only what tests must differ in."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("HTTPS_ONLY", "0")  # the test client and live_server speak plain HTTP
# Many tests pay "last month", which on the 1st of a month is still inside the default
# 24-hour grace; the grace's own tests set it back (workers and servers inherit this).
os.environ.setdefault("PAYOUT_RUN_GRACE", "0s")
# Most tests state amounts as shares of the whole rights pool (the v1 rules); the publishing
# side's tests turn it on with `tests.payouts.publishing.publishing_on` (a test checks the
# service's own default is the statutory table).
os.environ.setdefault("PUBLISHING_RATES", "")
# Staff sessions need two-factor for console actions (on by default in the service); the many
# console tests act without it, and the rule's own tests turn it on (tests/accounts).
os.environ.setdefault("STAFF_TWO_FACTOR", "0")

from kalipxo.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
# Tests run without collectstatic: serve static files from the finders, as DEBUG would.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Pages show the data the test just wrote, not what another test left in a shared cache.
DASHBOARD_DAILY_CACHE_SECONDS = 0
