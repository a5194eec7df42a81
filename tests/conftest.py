"""Fixtures: fresh copies of the shipped workbooks for each test."""

import shutil
from pathlib import Path

import pytest

SHIPPED = Path(__file__).resolve().parents[1] / "workbooks"


@pytest.fixture
def kpi_book(tmp_path) -> Path:
    return Path(shutil.copy(SHIPPED / "template_kpi.xlsx", tmp_path / "template_kpi.xlsx"))


@pytest.fixture
def plan_book(tmp_path) -> Path:
    return Path(shutil.copy(SHIPPED / "dsg_plan.xlsx", tmp_path / "dsg_plan.xlsx"))
