"""The payments tests' world (tests.payments.world) and the browser fixtures."""

from tests.frontend.browser_fixtures import browser, page  # noqa: F401 - fixtures of the browser tests
from tests.payments.world import world  # noqa: F401 - the fixture
