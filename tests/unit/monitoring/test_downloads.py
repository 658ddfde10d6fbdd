"""The CSV download cannot carry a spreadsheet formula: an organisation code is partner
input, and a cell starting with = + - @ (or a tab or carriage return) is shown as text."""

from __future__ import annotations

from services.monitoring.entrypoints.charts import HIDDEN, bar_chart
from services.monitoring.entrypoints.pages import neutralise


def test_formula_like_cells_are_quoted_and_others_kept() -> None:
    assert neutralise('=HYPERLINK("http://evil.example")') == '\'=HYPERLINK("http://evil.example")'
    for start in ("+", "-", "@", "\t", "\r"):
        assert neutralise(start + "1").startswith("'")
    assert neutralise("gp C82001") == "gp C82001"
    assert neutralise("12") == "12"


def test_a_chart_says_every_value_in_its_text_alternative_and_hides_small_ones() -> None:
    svg = str(bar_chart("c", "Referrals <received>", [("vasl", 12.0), ("young_carers", None)]))
    assert '<desc id="c-desc">vasl: 12; young_carers: fewer than 5</desc>' in svg
    assert "Referrals &lt;received&gt;" in svg and svg.count(HIDDEN) == 2
