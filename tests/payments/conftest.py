"""The payments tests' world (tests.payments.world)."""

from tests.payments.world import world  # noqa: F401 - the fixture
