"""Shared fixtures: the language-neutral test vectors in the repository's testdata/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

TESTDATA = Path(__file__).resolve().parents[2] / "testdata"


def load(name: str) -> Any:
    """One testdata file, parsed."""
    with open(TESTDATA / name, encoding="utf-8") as file:
        return json.load(file)


@pytest.fixture(scope="session")
def addresses_cases() -> Any:
    return load("addresses.json")


@pytest.fixture(scope="session")
def lifecycle_cases() -> Any:
    return load("lifecycle.json")


@pytest.fixture(scope="session")
def error_codes() -> Any:
    return load("error_codes.json")
