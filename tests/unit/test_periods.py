import datetime as dt

import pytest

from lfi_xl.core.periods import Cadence, Period, PeriodError, parse_year, year_label


def test_norfolk_tri_annual_labels_and_due_dates():
    cadence = Cadence(3)
    periods = cadence.periods(2023, 2023)
    assert [p.label for p in periods] == ["2023-24 Q1", "2023-24 Q2", "2023-24 Q3"]
    assert [cadence.due_date(p) for p in periods] == [
        dt.date(2023, 6, 16), dt.date(2023, 9, 15), dt.date(2023, 12, 15)]


def test_report_columns_of_the_programme():
    labels = [p.label for p in Cadence(3).periods(2023, 2028)]
    assert len(labels) == 18 and labels[0] == "2023-24 Q1" and labels[-1] == "2028-29 Q3"


def test_quarterly_cadence():
    cadence = Cadence(4)
    periods = cadence.periods(2023, 2023)
    assert [p.label for p in periods][-1] == "2023-24 Q4"
    assert cadence.due_date(periods[-1]) == dt.date(2024, 3, 15)
    assert cadence.period_of(dt.date(2024, 2, 1)).label == "2023-24 Q4"
    assert cadence.start(periods[1]) == dt.date(2023, 7, 1)
    assert cadence.end(periods[1]) == dt.date(2023, 9, 30)


def test_dates_map_to_periods():
    cadence = Cadence(3)
    assert cadence.period_of(dt.date(2023, 6, 10)).label == "2023-24 Q1"
    assert cadence.period_of(dt.datetime(2023, 7, 1, 9, 30)).label == "2023-24 Q2"
    assert cadence.period_of(dt.date(2024, 3, 31)).label == "2023-24 Q3"
    assert cadence.period_of(dt.date(2024, 4, 1)).label == "2024-25 Q1"
    assert cadence.end(Period(2023, 3)) == dt.date(2024, 3, 31)


def test_labels_parse_in_the_styles_people_type():
    cadence = Cadence(3)
    assert cadence.parse("2023-24 Q1") == Period(2023, 1)
    assert cadence.parse("2023/24 q3") == Period(2023, 3)
    assert parse_year("FY2022/23") == 2022 and parse_year("22-23") == 2022
    assert year_label(2022, "/") == "2022/23"
    assert cadence.previous(Period(2024, 1)) == Period(2023, 3)
    with pytest.raises(PeriodError, match="3 reports a year"):
        cadence.parse("2023-24 Q4")
    with pytest.raises(PeriodError, match="not a financial year"):
        parse_year("2023-25")
    with pytest.raises(PeriodError, match="report period"):
        cadence.parse("June 2023")


def test_cadence_checks():
    with pytest.raises(PeriodError, match="1 to 4"):
        Cadence(6)
    with pytest.raises(PeriodError, match="give the due dates"):
        Cadence(2)
    assert Cadence(2, ((9, 30), (3, 31))).due_date(Period(2023, 2)) == dt.date(2024, 3, 31)
    with pytest.raises(ValueError):
        Cadence(1, ((6, 31),))
