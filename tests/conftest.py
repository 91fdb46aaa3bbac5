"""Fixtures shared by every test module."""

import pytest
from django.contrib.auth import get_user_model

# The Copper sandbox fixtures serve the Copper wing's tests and every test above it (metrics push, API).
from tests.copper.sandbox_fixtures import (  # noqa: F401
    copper_sandbox,
    copper_sandbox_factory,
    copper_sandbox_settings,
)


@pytest.fixture
def staff_user(db):
    """A staff user with every permission (a superuser), as a person working in the admin."""
    return get_user_model().objects.create_superuser("alice", "alice@example.com", "alice-password")


@pytest.fixture
def second_staff_user(db):
    """Another superuser: a second person (approvals must come from someone else)."""
    return get_user_model().objects.create_superuser("bob", "bob@example.com", "bob-password")



@pytest.fixture(autouse=True)
def _copper_timezone(settings):
    """The recorded Copper account's zone (it stores 2025-08-01 as 1754031600, midnight US Pacific)."""
    settings.COPPER_TIMEZONE = "America/Los_Angeles"
