"""Fixtures of the deployment tests: every role's chart values, default and production."""

from __future__ import annotations

import pytest
from helm_render import CASES, PRODUCTION_CASES, Case


@pytest.fixture(params=CASES, ids=lambda case: case.name)
def case(request: pytest.FixtureRequest) -> Case:
    """Every role, with default values and with its production example."""
    return request.param


@pytest.fixture(params=PRODUCTION_CASES, ids=lambda case: case.name)
def production(request: pytest.FixtureRequest) -> Case:
    """Every role with its production example values."""
    return request.param
