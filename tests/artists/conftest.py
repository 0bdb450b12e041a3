"""Catalog fixtures: clients for two distributors, each confined to its own catalog."""

import pytest
from rest_framework.test import APIClient

from artists.models import ApiClient
from tests.conftest import ApiFactory


@pytest.fixture
def distro_a(api_as: ApiFactory) -> APIClient:
    """A client for the distributor 'Distro A'."""
    return api_as(ApiClient.Role.DISTRIBUTOR, distributor="Distro A")


@pytest.fixture
def distro_b(api_as: ApiFactory) -> APIClient:
    """A client for the distributor 'Distro B'."""
    return api_as(ApiClient.Role.DISTRIBUTOR, distributor="Distro B")
