"""Boundaries of the monitoring's small rules: financial years and months in UK time, the
district table the council supplies, and the shared arithmetic of figures (percentages,
the nearest-rank percentile, suppression by column)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from services.monitoring.domain import periods
from services.monitoring.domain.districts import (
    DistrictTableError,
    outward_code,
    parse_districts,
)
from services.monitoring.domain.tables import Row, Table, columns_suppressed, nearest_rank, percent

UK = ZoneInfo("Europe/London")
TICK = timedelta(microseconds=1)

# -- periods -------------------------------------------------------------------------------


def test_a_period_includes_its_first_instant_and_excludes_its_end() -> None:
    year = periods.year_starting(2025)
    assert year.start == datetime(2025, 4, 1, tzinfo=UK)
    assert year.end == datetime(2026, 4, 1, tzinfo=UK)
    assert year.contains(year.start)
    assert year.contains(year.end - TICK)
    assert not year.contains(year.start - TICK)
    assert not year.contains(year.end)
    # Local midnight in British Summer Time is 23:00 UTC the day before.
    assert year.start == datetime(2025, 3, 31, 23, tzinfo=UTC)


def test_a_year_label_is_the_first_year_and_the_next_two_digits() -> None:
    assert periods.year_starting(2008).label == "2008/09"
    assert periods.year_starting(2099).label == "2099/00"
    century = periods.financial_year("2099/00")
    assert (century.label, century.start) == ("2099/00", datetime(2099, 4, 1, tzinfo=UK))
    assert periods.financial_year(" 2025/26 ").label == "2025/26"


def test_a_wrong_year_label_says_what_is_wrong() -> None:
    with pytest.raises(ValueError) as shape:
        periods.financial_year("2025-26")
    assert str(shape.value) == "year: must be a financial year like 2025/26"
    with pytest.raises(ValueError) as order:
        periods.financial_year("2025/25")
    assert (
        str(order.value) == "year: the second part must be the year after the first, like 2025/26"
    )


def test_the_year_of_an_instant_is_decided_by_its_uk_date() -> None:
    assert periods.year_of(datetime(2025, 4, 1, 0, 0, tzinfo=UK)).label == "2025/26"
    assert periods.year_of(datetime(2025, 3, 31, 23, 59, tzinfo=UK)).label == "2024/25"
    assert periods.year_of(datetime(2026, 1, 15, 12, tzinfo=UK)).label == "2025/26"
    assert periods.year_of(datetime(2025, 12, 31, 12, tzinfo=UK)).label == "2025/26"


def test_a_month_runs_from_its_first_local_midnight_to_the_next_months() -> None:
    april = periods.month(" 2025-04 ")
    assert april.label == "2025-04"
    assert (april.start, april.end) == (
        datetime(2025, 4, 1, tzinfo=UK),
        datetime(2025, 5, 1, tzinfo=UK),
    )
    december = periods.month("2025-12")
    assert (december.start, december.end) == (
        datetime(2025, 12, 1, tzinfo=UK),
        datetime(2026, 1, 1, tzinfo=UK),
    )
    assert periods.month("2025-01").start == datetime(2025, 1, 1, tzinfo=UK)
    assert periods.month("2025-11").end == datetime(2025, 12, 1, tzinfo=UK)


@pytest.mark.parametrize("wrong", ["2025-00", "2025-13", "2025-4", "2025/04", "april"])
def test_a_wrong_month_label_says_what_is_wrong(wrong: str) -> None:
    with pytest.raises(ValueError) as error:
        periods.month(wrong)
    assert str(error.value) == "month: must be a month like 2025-04"


def test_the_months_of_a_year_are_its_twelve_calendar_months_in_order() -> None:
    year = periods.financial_year("2025/26")
    months = periods.months_of(year)
    assert [m.label for m in months] == [
        *(f"2025-{m:02d}" for m in range(4, 13)),
        "2026-01",
        "2026-02",
        "2026-03",
    ]
    assert months[0].start == year.start and months[-1].end == year.end
    assert all(a.end == b.start for a, b in pairwise(months))


# -- districts -----------------------------------------------------------------------------

HEADER = "postcode_district,district\n"


def test_the_district_table_tolerates_what_spreadsheets_write() -> None:
    # A byte-order mark, spaces around names and values, lower case, a space inside the code.
    text = "\ufeff postcode_district , district ,comment\nle 3 , Blaby ,x\nLE11,Charnwood\n"
    assert parse_districts(text) == {"LE3": "Blaby", "LE11": "Charnwood"}
    # A row with more cells than the header has: the extra cells are ignored.
    assert parse_districts(HEADER + "LE3,Blaby,spare\n") == {"LE3": "Blaby"}
    # The same code twice with the same district is not a conflict.
    assert parse_districts(HEADER + "LE3,Blaby\nle3,Blaby\n") == {"LE3": "Blaby"}


@pytest.mark.parametrize("text", ["", "postcode_district\nLE3\n", "district\nBlaby\n"])
def test_a_district_table_without_both_columns_is_refused(text: str) -> None:
    with pytest.raises(DistrictTableError) as error:
        parse_districts(text)
    assert str(error.value) == "districts CSV: needs the columns postcode_district,district"


@pytest.mark.parametrize("row", ["LE3,\n", ",Blaby\n", "LE3\n", " , \n"])
def test_a_district_row_with_an_empty_cell_names_its_line(row: str) -> None:
    with pytest.raises(DistrictTableError) as error:
        parse_districts(HEADER + "LE11,Charnwood\n" + row)
    assert str(error.value) == "districts CSV line 3: both columns must be filled"


def test_a_code_given_two_districts_names_the_line_and_the_code() -> None:
    with pytest.raises(DistrictTableError) as error:
        parse_districts(HEADER + "LE3,Blaby\nle3,Melton\n")
    assert str(error.value) == "districts CSV line 3: postcode_district LE3 is given two districts"


def test_the_outward_code_is_the_part_before_the_space() -> None:
    assert outward_code("LE3 8RA") == "LE3"
    assert outward_code(" le11 3tu ") == "LE11"
    for nothing in (None, "", "   ", "LE38RA"):
        assert outward_code(nothing) is None


# -- tables --------------------------------------------------------------------------------


def test_a_table_as_json_has_its_rows_and_note_and_not_its_chart() -> None:
    t = Table("t", "Title", ["A", "B"], [Row("r", [1, None])])
    assert (t.note, t.chart, t.extra) == ("", 0, {})
    assert t.as_dict() == {
        "id": "t",
        "title": "Title",
        "columns": ["A", "B"],
        "rows": [{"label": "r", "values": [1, None]}],
        "note": "",
    }


def test_columns_are_suppressed_each_on_its_own() -> None:
    assert columns_suppressed({}) == {}
    assert columns_suppressed({"a": [], "b": []}) == {"a": [], "b": []}
    # Column 1: 3 is hidden and so is 6, the smallest other; column 2: nothing small.
    shown = columns_suppressed({"a": [3, 7], "b": [6, 8], "c": [9, 0]})
    assert shown == {"a": [None, 7], "b": [None, 8], "c": [9, 0]}


def test_a_percentage_has_one_decimal_place_and_hides_with_either_number() -> None:
    assert percent(1, 3) == 33.3
    assert percent(2, 3) == 66.7
    assert percent(5, 5) == 100.0
    assert percent(0, 0) == 0.0
    assert percent(None, 5) is None
    assert percent(5, None) is None


def test_the_nearest_rank_percentile_is_a_value_of_the_list() -> None:
    ten = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5]
    assert nearest_rank(ten, 0.9) == 9
    assert nearest_rank(ten, 0.5) == 5
    assert nearest_rank(ten, 0.91) == 10
    assert nearest_rank(ten, 1.0) == 10
    assert nearest_rank(ten, 0.0) == 1
    assert nearest_rank([7], 0.9) == 7
    assert nearest_rank([3, 1], 0.5) == 1
