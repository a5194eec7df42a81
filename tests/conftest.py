"""Fixtures: fresh copies of the shipped workbooks for each test."""

import os
import shutil
from pathlib import Path

import pytest

SHIPPED = Path(__file__).resolve().parents[1] / "workbooks"

# xlwings registers its JSON book engine (xlwings.pro, PolyForm Noncommercial: government
# institutions may use it) at import, when a licence key is set; tests only.
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")


@pytest.fixture
def kpi_book(tmp_path) -> Path:
    """The shipped KPI workbook, with the plan workbook its Settings record beside it."""
    if not (tmp_path / "dsg_plan.xlsx").exists():
        shutil.copy(SHIPPED / "dsg_plan.xlsx", tmp_path / "dsg_plan.xlsx")
    return Path(shutil.copy(SHIPPED / "template_kpi.xlsx", tmp_path / "template_kpi.xlsx"))


@pytest.fixture
def plan_book(tmp_path) -> Path:
    return Path(shutil.copy(SHIPPED / "dsg_plan.xlsx", tmp_path / "dsg_plan.xlsx"))
