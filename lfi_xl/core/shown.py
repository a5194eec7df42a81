"""A value as a cell shows it, for a sentence: the one way every message writes a figure.

Excel shows a number through its cell's number format: KPI 19 holding
0.217438014192418 in a ``0.0%`` cell reads "21.7%", a £m figure in ``0.000`` reads
"-42.433", a condition numbered 1 in a General cell reads "1", not "1.0". A message
that names a figure says it as the finance officer sees it in the cell, so
:func:`as_shown` renders a value through a number format code (the subset of
ECMA-376 18.8.31 a council's workbook uses: sections, literal text and escapes,
``0 # ?`` digits, thousands separators and scaling commas, percent, scientific notation,
dates, colours and conditions, currency tags) and :func:`label` a row's key or label as
a General cell shows it.

>>> as_shown(0.217438014192418, "0.0%")
'21.7%'
>>> as_shown(-42.4329999, "0.000")
'-42.433'
>>> as_shown(30082.4, "£#,##0")
'£30,082'
>>> as_shown(-1234.5, '#,##0.00;[Red](#,##0.00)')
'(1,234.50)'
>>> label(1.0), label(2.5), label("1a"), label(None)
('1', '2.5', '1a', 'blank')
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from decimal import ROUND_HALF_UP, Decimal

#: Excel's day 0 in the 1900 date system (serial 60 is the fictitious 29 February 1900).
_EPOCH = _dt.datetime(1899, 12, 30)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: A bracketed part of a section: a colour or condition (not shown), or a currency tag.
_BRACKET = re.compile(r"\[([^\]]*)\]")
_DATE_TOKEN = re.compile(r"yyyy|yy|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|am/pm|a/p",
                         re.IGNORECASE)


def label(value: object) -> str:
    """A key or label as a General cell shows it: ``1.0`` is "1", text as typed (trimmed),
    a blank "blank"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "blank"
    if isinstance(value, str):
        return value.strip()
    return as_shown(value, "General")


def as_shown(value: object, number_format: str | None = "General") -> str:
    """``value`` as a cell with ``number_format`` shows it: a number through the code, a
    date through a date code, text as it is, a blank as "blank", an error as its code,
    TRUE/FALSE as Excel writes them."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "blank"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, _dt.datetime | _dt.date):
        start = _dt.datetime(value.year, value.month, value.day) if not isinstance(
            value, _dt.datetime) else value
        number = (start - _EPOCH).total_seconds() / 86400
        code = number_format if number_format and _is_date(_sections(number_format)[0]) \
            else "dd/mm/yyyy"
        return as_shown(number, code)
    if isinstance(value, str):
        return value.strip()
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "blank"
    if math.isinf(number):
        return "#NUM!"
    return _number(number, number_format or "General")


def as_shown_apart(first: object, second: object,
                   number_format: str | None = "General") -> tuple[str, str]:
    """Two values as a cell with ``number_format`` shows them, for a message saying they
    differ: when the format shows two different numbers alike (21.7% and 21.7%), with
    as many more decimals as tell them apart (at most 8).

    >>> as_shown_apart(0.217438014192418, 0.22252692884001, "0.0%")
    ('21.7%', '22.3%')
    >>> as_shown_apart(-0.988997821350763, -0.988777777777778, "0.0%")
    ('-98.90%', '-98.88%')
    >>> as_shown_apart(30072.4, 30072.3, "£#,##0")
    ('£30,072.4', '£30,072.3')
    """
    one, other = as_shown(first, number_format), as_shown(second, number_format)
    numbers = [_as_float(value) for value in (first, second)]
    if one != other or None in numbers:
        return one, other
    for decimals in range(1, 9):
        code = _with_decimals(number_format or "General", decimals)
        one, other = (as_shown(value, code) for value in numbers)
        if one != other:
            break
    return one, other


def _with_decimals(code: str, decimals: int) -> str:
    """``code``'s first section showing ``decimals`` decimals (General: plain decimals),
    its other marks (%, £, thousands) kept."""
    section = _sections(code)[0]
    if "general" in section.lower() or not re.search(r"[0#?]", section):
        return "#,##0." + "0" * decimals
    digits = "0" * decimals
    if re.search(r"\.[0#?]*", section):
        return re.sub(r"\.[0#?]*", "." + digits, section, count=1)
    last = max(section.rfind(ch) for ch in "0#?")
    return section[:last + 1] + "." + digits + section[last + 1:]


def _as_float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _sections(code: str) -> list[str]:
    """The ``;``-separated sections of a code (a ``;`` in quotes or escaped is text)."""
    sections, current, quoted, escaped = [], [], False, False
    for ch in code:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == '"':
            current.append(ch)
            quoted = not quoted
        elif ch == ";" and not quoted:
            sections.append("".join(current))
            current = []
        else:
            current.append(ch)
    sections.append("".join(current))
    return sections


def _number(number: float, code: str) -> str:
    sections = _sections(code)
    conditions = [_condition(section) for section in sections]
    if any(condition is not None for condition in conditions[:2]):
        # [>=100]0;[<0]... : the first section whose condition holds
        for section, condition in zip(sections, conditions, strict=False):
            if condition is None or _holds(number, *condition):
                return _render(number, section, signed=condition is None or len(sections) < 2)
        return _render(number, sections[-1], signed=True)
    if number < 0 and len(sections) >= 2 and sections[1].strip():
        return _render(-number, sections[1], signed=False)
    if number == 0 and len(sections) >= 3 and sections[2].strip():
        return _render(number, sections[2], signed=False)
    return _render(number, sections[0], signed=True)


def _condition(section: str) -> tuple[str, float] | None:
    """A section's condition (``[>=100]``) as (operator, limit)."""
    for inside in _BRACKET.findall(section):
        match = re.fullmatch(r"\s*(<=|>=|<>|<|>|=)\s*(-?[\d.]+)\s*", inside)
        if match:
            return match.group(1), float(match.group(2))
    return None


def _holds(number: float, op: str, limit: float) -> bool:
    return {"<": number < limit, ">": number > limit, "=": number == limit,
            "<=": number <= limit, ">=": number >= limit, "<>": number != limit}[op]


def _parts(section: str) -> list[tuple[str, str]]:
    """A section as (kind, text) parts: "lit" shown as it is, "fmt" the number's codes."""
    parts: list[tuple[str, str]] = []
    i = 0
    while i < len(section):
        ch = section[i]
        if ch == '"':
            end = section.find('"', i + 1)
            end = len(section) if end < 0 else end
            parts.append(("lit", section[i + 1:end]))
            i = end + 1
        elif ch == "\\" and i + 1 < len(section):
            parts.append(("lit", section[i + 1]))
            i += 2
        elif ch == "_" and i + 1 < len(section):   # space the width of the next character
            i += 2
        elif ch == "*" and i + 1 < len(section):   # fill with the next character: nothing
            i += 2
        elif ch == "[":
            end = section.find("]", i)
            end = len(section) if end < 0 else end
            inside = section[i + 1:end]
            if inside.startswith("$"):            # [$£-809]: the currency symbol
                parts.append(("lit", inside[1:].split("-")[0]))
            i = end + 1
        elif section[i:i + 7].lower() == "general":
            parts.append(("fmt", "General"))
            i += 7
        else:
            parts.append(("fmt", ch))
            i += 1
    return parts


def _is_date(section: str) -> bool:
    codes = "".join(text for kind, text in _parts(section)
                    if kind == "fmt" and text != "General")
    return bool(re.search(r"[dmyhs]", codes, re.IGNORECASE)) and not re.search(
        r"[0#?]", codes)


def _render(number: float, section: str, signed: bool) -> str:
    """``number`` through one section; ``signed``: a negative shows its "-" (a section
    for negatives shows the absolute value with its own marks)."""
    if _is_date(section):
        return _date(number, section)
    parts = _parts(section)
    general = ("fmt", "General") in parts
    codes = "".join(text for kind, text in parts if kind == "fmt")
    if not general and not re.search(r"[0#?]", codes):
        # text only ("-" for a zero, say), or "@": as it reads
        shown = "".join("" if text == "@" else text for _, text in parts).strip()
        return shown or _general(number)
    value = number if signed else abs(number)
    value *= 100 ** codes.count("%")
    body = _general(abs(value)) if general else _digits(abs(value), codes)
    negative = value < 0   # Excel shows -0.0001 through 0.000 as -0.000
    before: list[str] = []
    after: list[str] = []
    seen = False
    for kind, text in parts:
        if kind == "fmt" and (text in "0#?.," or text == "General"):
            seen = True
        elif kind == "fmt" and seen and text in "eE+-" and re.search(r"[eE][+-]", codes):
            continue
        else:
            (after if seen else before).append(text)
    shown = (("-" if negative else "") + "".join(before) + body + "".join(after)).strip()
    return shown or _general(number)


def _digits(value: float, codes: str) -> str:
    """The number's digits as the digit codes ``0 # ? . ,`` (and ``E+``) lay them out."""
    exponent = re.search(r"[eE][+-]", codes)
    if exponent:
        mantissa = codes[:exponent.start()]
        decimals = len(re.sub(r"[^0#?]", "", mantissa.split(".", 1)[1])) if "." in mantissa \
            else 0
        head, power = f"{value:.{decimals}E}".split("E")
        power_digits = len(re.sub(r"[^0#?]", "", codes[exponent.end():])) or 1
        sign = "-" if int(power) < 0 else ("+" if exponent.group()[1] == "+" else "")
        return f"{head}E{sign}{abs(int(power)):0{power_digits}d}"
    digit_codes = re.sub(r"[^0#?.,]", "", codes)
    last = max(digit_codes.rfind(ch) for ch in "0#?")
    scale = len(digit_codes[last + 1:]) - len(digit_codes[last + 1:].lstrip(","))
    value /= 1000 ** scale
    point = digit_codes.find(".")
    integer_codes = digit_codes[:point] if point >= 0 else digit_codes[:last + 1]
    decimal_codes = re.sub(r"[^0#?]", "", digit_codes[point + 1:]) if point >= 0 else ""
    rounded = _round_half_away(value, len(decimal_codes))
    # through its 15 digits, as Excel keeps them: 1E+300 shows as 1 and zeros
    integer, _, fraction = f"{Decimal(f'{rounded:.15g}'):.{len(decimal_codes)}f}".partition(".")
    integer = integer.lstrip("0")
    minimum = integer_codes.count("0")
    integer = integer.rjust(minimum, "0")
    if "," in integer_codes.strip(",") and integer:
        integer = f"{int(integer):,}"
    kept = len(decimal_codes)
    while kept and fraction[kept - 1] == "0" and decimal_codes[kept - 1] in "#?":
        kept -= 1
    fraction = fraction[:kept]
    if point >= 0 and (fraction or decimal_codes == ""):
        return integer + "." + fraction
    return integer + ("." + fraction if fraction else "")  # "" for 0 through "#" alone


def _round_half_away(value: float, decimals: int) -> float:
    """Round as Excel shows a figure: half away from zero, on the 15 digits it keeps."""
    exact = Decimal(f"{float(value):.15g}")
    if not exact.is_finite() or exact.adjusted() >= 15:  # all 15 digits whole: none to round
        return float(exact) + 0.0
    return float(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)) + 0.0


def _general(number: float) -> str:
    """Excel's General: a whole number as it is, others to at most 11 characters (10
    significant digits), very large or small ones in scientific notation."""
    if number == int(number) and abs(number) < 1e11:
        return str(int(number))
    if abs(number) >= 1e11 or abs(number) < 1e-9:
        return f"{number:.5E}".replace("E+0", "E+").replace("E-0", "E-")
    width = 11 - (1 if number < 0 else 0)
    integer_digits = len(str(int(abs(number))))
    decimals = max(0, width - integer_digits - 1)
    text = f"{_round_half_away(abs(number), decimals):.{decimals}f}".rstrip("0").rstrip(".")
    return ("-" if number < 0 and text.strip("0.") else "") + text


def _date(number: float, section: str) -> str:
    try:
        moment = _EPOCH + _dt.timedelta(days=number)
    except OverflowError:
        return _general(number)

    def token(match: re.Match) -> str:
        word = match.group().lower()
        return {"yyyy": f"{moment.year:04d}", "yy": f"{moment.year % 100:02d}",
                "mmmm": _MONTHS[moment.month - 1], "mmm": _MONTHS[moment.month - 1][:3],
                "mm": f"{moment.month:02d}", "m": str(moment.month),
                "dddd": _DAYS[moment.weekday()], "ddd": _DAYS[moment.weekday()][:3],
                "dd": f"{moment.day:02d}", "d": str(moment.day),
                "hh": f"{moment.hour:02d}", "h": str(moment.hour),
                "ss": f"{moment.second:02d}", "s": str(moment.second),
                "am/pm": "AM" if moment.hour < 12 else "PM",
                "a/p": "A" if moment.hour < 12 else "P"}[word]

    out, run = [], []
    for kind, text in [*_parts(section), ("lit", "")]:
        if kind == "fmt":
            run.append(text)
            continue
        out.append(_DATE_TOKEN.sub(token, "".join(run)))
        run = []
        out.append(text)
    return "".join(out).strip()


_QUOTED = re.compile(r'"[^"]*"|\\.')


def decimals(number_format: str) -> int | None:
    """Decimal places a number format shows of the value (a percentage two more);
    None for a format that shows the value as it is ("General")."""
    shown = _QUOTED.sub("", number_format.split(";")[0])
    if "0" not in shown and "#" not in shown:
        return None
    after = shown.split(".")[1] if "." in shown else ""
    places = len(after) - len(after.lstrip("0#?"))
    return places + 2 * shown.count("%")


def displayed(value: float, number_format: str) -> float | int:
    """``value`` rounded as a cell of ``number_format`` shows it (half away from zero, as
    Excel rounds the 15 digits it keeps): what a published cell holds, so the file says
    what the page shows. A whole number is an int."""
    places = decimals(number_format)
    if places is None or not math.isfinite(value):
        return value
    rounded = _round_half_away(value, places)
    return int(rounded) if places == 0 else rounded
