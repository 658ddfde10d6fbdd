"""Browser fixtures for the monitoring page's tests."""

from tests.fixtures.browser import browser, page  # noqa: F401  (before conftest registers the plugin)
