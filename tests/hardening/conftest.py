"""The dashboard's fixtures, for the hardening tests that sign in."""

from tests.dashboard.conftest import dashboard, two_customers

__all__ = ["dashboard", "two_customers"]
