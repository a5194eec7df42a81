"""Financial years and monitoring report periods.

A financial year runs 1 April - 31 March and is labelled ``2023-24``. Within it the
council reports to the DfE a set number of times (Norfolk: 3, the DfE's tri-annual
cadence; other Safety Valve councils: 4). Report ``k`` is labelled ``Qk`` and covers the
``k``-th quarter of the financial year; the last report of the year also covers the rest
of the year (with 3 reports, ``Q3`` covers October - March). Each report has a due date.
Nothing here is Norfolk's unless it is passed in: :data:`DEFAULT_DUE_DATES` only supplies
the DfE's published dates when a cadence does not give its own.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

#: Due dates (month, day) by reports per year, when a cadence gives none. Three: the DfE
#: letter of April 2023 (Report 1: 16 June, 2: 15 September, 3: 15 December). Four: the
#: same, plus 15 March for the fourth quarter.
DEFAULT_DUE_DATES: dict[int, tuple[tuple[int, int], ...]] = {
    3: ((6, 16), (9, 15), (12, 15)),
    4: ((6, 16), (9, 15), (12, 15), (3, 15)),
}

_YEAR_LABEL = re.compile(r"^\s*(?:FY\s*)?(\d{2}|\d{4})\s*[-/]\s*(\d{2}|\d{4})\s*$", re.I)
# "2023-24 Q1" (ours), "2023/24 Q1", "2023-24: Q1"; and the quarter first: "Q1 2023/24".
_PERIOD_LABEL = re.compile(r"^\s*(.+?)[\s:,-]+Q(\d{1,2})\s*$", re.I)
_QUARTER_FIRST = re.compile(r"^\s*Q(\d{1,2})[\s:,-]+(.+?)\s*$", re.I)
#: What a report period looks like, for messages.
PERIOD_EXAMPLE = "'2023-24 Q1' (or '2023/24 Q1', 'Q1 2023-24')"


class PeriodError(ValueError):
    """A period label, date or cadence that cannot be understood."""


def year_of(date: dt.date) -> int:
    """The financial year (by its starting calendar year) a date falls in.

    >>> year_of(dt.date(2024, 3, 31)), year_of(dt.date(2024, 4, 1))
    (2023, 2024)
    """
    return date.year if date.month >= 4 else date.year - 1


def year_label(start_year: int, separator: str = "-") -> str:
    """``2023`` -> ``'2023-24'`` (or ``'2023/24'``, the DSG plan's style, with ``'/'``)."""
    return f"{start_year}{separator}{(start_year + 1) % 100:02d}"


def parse_year(label: str) -> int:
    """The starting calendar year of a financial year label.

    Accepts ``2023-24``, ``2023/24``, ``FY2023/24``, ``23/24`` and ``2023-2024``.

    >>> parse_year("2023-24"), parse_year("FY2022/23"), parse_year("22/23")
    (2023, 2022, 2022)
    """
    match = _YEAR_LABEL.match(str(label))
    if not match:
        raise PeriodError(f"{label!r} is not a financial year such as 2023-24")
    first, second = match.groups()
    start = int(first) if len(first) == 4 else 2000 + int(first)
    end = int(second) % 100
    if (start + 1) % 100 != end:
        raise PeriodError(f"{label!r} is not a financial year: {second} does not follow {first}")
    return start


@dataclass(frozen=True, order=True)
class Period:
    """One monitoring report: financial year (starting calendar year) and report number."""

    year: int
    report: int

    @property
    def label(self) -> str:
        """``'2023-24 Q1'``."""
        return f"{year_label(self.year)} Q{self.report}"

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Cadence:
    """How often a council reports: reports per year (1-4) and the due date of each.

    >>> Cadence(3).due_date(Period(2023, 1))
    datetime.date(2023, 6, 16)
    """

    reports_per_year: int = 3
    due_dates: tuple[tuple[int, int], ...] | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.reports_per_year <= 4:
            raise PeriodError(
                f"reports per year must be 1 to 4 (one per quarter at most), "
                f"not {self.reports_per_year}"
            )
        dates = self.due_dates
        if dates is None:
            if self.reports_per_year not in DEFAULT_DUE_DATES:
                raise PeriodError(
                    f"give the due dates for {self.reports_per_year} reports a year"
                )
            dates = DEFAULT_DUE_DATES[self.reports_per_year]
        dates = tuple((int(m), int(d)) for m, d in dates)
        if len(dates) != self.reports_per_year:
            raise PeriodError(
                f"{len(dates)} due dates given for {self.reports_per_year} reports a year"
            )
        for month, day in dates:
            dt.date(2024, month, day)  # raises for 31 June and the like (2024: 29 Feb ok)
        object.__setattr__(self, "due_dates", dates)

    def check(self, period: Period) -> None:
        """Raises :class:`PeriodError` for a report number this cadence does not have."""
        if not 1 <= period.report <= self.reports_per_year:
            raise PeriodError(
                f"{period.label}: there are {self.reports_per_year} reports a year"
            )

    def due_date(self, period: Period) -> dt.date:
        """The date the report for ``period`` is due with the DfE."""
        self.check(period)
        assert self.due_dates is not None  # set by __post_init__
        month, day = self.due_dates[period.report - 1]
        year = period.year if month >= 4 else period.year + 1
        return dt.date(year, month, day)

    def start(self, period: Period) -> dt.date:
        """First day the report covers: the first day of its quarter."""
        self.check(period)
        month = 4 + 3 * (period.report - 1)
        return dt.date(period.year + (month > 12), (month - 1) % 12 + 1, 1)

    def end(self, period: Period) -> dt.date:
        """Last day the report covers (the last report runs to 31 March)."""
        self.check(period)
        if period.report == self.reports_per_year:
            return dt.date(period.year + 1, 3, 31)
        return self.start(Period(period.year, period.report + 1)) - dt.timedelta(days=1)

    def period_of(self, date: dt.date | dt.datetime) -> Period:
        """The report period a date falls in.

        >>> Cadence(3).period_of(dt.date(2023, 6, 10)).label
        '2023-24 Q1'
        >>> Cadence(3).period_of(dt.date(2024, 2, 1)).label
        '2023-24 Q3'
        """
        if isinstance(date, dt.datetime):
            date = date.date()
        year = year_of(date)
        quarter = ((date.month - 4) % 12) // 3 + 1
        return Period(year, min(quarter, self.reports_per_year))

    def periods(self, first_year: int, last_year: int) -> list[Period]:
        """Every report from ``first_year`` Q1 to ``last_year``'s last, in order.

        >>> [p.label for p in Cadence(3).periods(2023, 2024)][:4]
        ['2023-24 Q1', '2023-24 Q2', '2023-24 Q3', '2024-25 Q1']
        """
        return [Period(year, report) for year in range(first_year, last_year + 1)
                for report in range(1, self.reports_per_year + 1)]

    def parse(self, label: str) -> Period:
        """``'2023-24 Q1'`` -> :class:`Period`, checked against this cadence. The common
        spellings are accepted too: ``2023/24 Q1``, ``Q1 2023/24``, ``Q1 2023-24``.

        >>> Cadence(3).parse("Q2 2023/24").label
        '2023-24 Q2'
        """
        text = str(label)
        match = _PERIOD_LABEL.match(text)
        year, report = (match.group(1), match.group(2)) if match else (None, None)
        if not match and (match := _QUARTER_FIRST.match(text)):
            year, report = match.group(2), match.group(1)
        try:
            if year is None or report is None:
                raise PeriodError(text)
            period = Period(parse_year(year), int(report))
        except PeriodError:
            raise PeriodError(f"{label!r} is not a report period: a period looks like "
                              f"{PERIOD_EXAMPLE}") from None
        self.check(period)
        return period

    def previous(self, period: Period) -> Period:
        """The report before ``period``."""
        self.check(period)
        if period.report > 1:
            return Period(period.year, period.report - 1)
        return Period(period.year - 1, self.reports_per_year)


def parse_period(label: str) -> Period:
    """A report period as someone typed it (a command's ``--period``), before any
    workbook says how many reports a year it has (checked then: :meth:`Cadence.check`).

    >>> parse_period("Q4 2023/24")
    Period(year=2023, report=4)
    """
    return Cadence(4).parse(label)


def parse_due_dates(text: str) -> tuple[tuple[int, int], ...]:
    """Due dates written as day and month: ``"16 Jun, 15 Sep, 15 Dec"`` -> (month, day)s.

    >>> parse_due_dates("16 June, 15 Sep, 15 December")
    ((6, 16), (9, 15), (12, 15))
    """
    found = []
    for part in str(text).replace(";", ",").split(","):
        part = part.strip()
        for style in ("%d %b", "%d %B"):
            try:
                day = dt.datetime.strptime(f"{part} 2024", f"{style} %Y")
            except ValueError:
                continue
            found.append((day.month, day.day))
            break
        else:
            raise PeriodError(f"{part!r} is not a day and month such as '16 Jun'")
    return tuple(found)
