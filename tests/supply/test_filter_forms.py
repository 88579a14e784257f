"""The supply and S&OP pages' filter bars share one base (``supply_forms.Filters``): an "all" choice
first, text trimmed, a value that does not validate counts as no filter."""

from __future__ import annotations

from types import SimpleNamespace

from django.utils import translation

from xietong.supply.master_forms import ItemFilterForm
from xietong.supply.plan_forms import GridFilterForm, SeriesFilterForm
from xietong.supply.supply_forms import ChartForm, ProjectionFilterForm

BU = SimpleNamespace(pk=7, name="工业设备事业部")


class Line:
    pk = 3

    def __str__(self) -> str:
        return "总装一线"


def _series(data: dict[str, str]) -> SeriesFilterForm:
    return SeriesFilterForm(data, business_units=[BU], models=["ETS", "Croston"])


def test_the_series_filters_read_the_business_unit_model_and_trimmed_search() -> None:
    form = _series({"business_unit": "7", "model": "ETS", "q": "  伺服  "})

    assert form.filters() == {"business_unit": 7, "model": "ETS", "q": "伺服"}
    assert form.is_filtered() is True


def test_no_filter_and_a_value_outside_the_choices_both_read_as_not_filtered() -> None:
    assert _series({}).filters() == {"business_unit": None, "model": "", "q": ""}
    assert _series({}).is_filtered() is False
    unknown = _series({"business_unit": "99"})

    assert unknown.filters() == {"business_unit": None, "model": "", "q": ""}
    assert unknown.is_filtered() is False


def test_each_choice_list_starts_with_its_all_choice() -> None:
    with translation.override("zh-hans"):
        grid = GridFilterForm({}, business_units=[BU], product_lines=["伺服系统"])
        series = _series({})
        items = ItemFilterForm({}, lines=[Line()])
        chart = ChartForm({}, plans=[], items=[], lines=[Line()])

        assert [(v, str(label)) for v, label in grid.fields["business_unit"].choices] == [
            ("", "全部事业部"),
            (7, "工业设备事业部"),
        ]
        assert [(v, str(label)) for v, label in grid.fields["product_line"].choices] == [
            ("", "全部产品线"),
            ("伺服系统", "伺服系统"),
        ]
        assert [v for v, _label in series.fields["model"].choices] == ["", "ETS", "Croston"]
        assert [(v, str(label)) for v, label in items.fields["line"].choices] == [
            ("", "全部生产线"),
            ("3", "总装一线"),
        ]
        # a picker names what to choose instead of "all"
        assert [v for v, _label in chart.fields["line"].choices] == ["", "3"]
        assert chart.fields["plan"].choices == []


def test_the_grid_items_and_projection_filters_answer_their_selectors_arguments() -> None:
    grid = GridFilterForm({"product_line": "伺服系统", "q": " SV "}, business_units=[BU], product_lines=["伺服系统"])
    items = ItemFilterForm({"line": "3", "configured": "no", "q": "泵"}, lines=[Line()])
    projection = ProjectionFilterForm({"line": "3", "short": "on", "q": " 泵 "}, lines=[Line()])

    assert grid.filters() == {"business_unit": None, "product_line": "伺服系统", "q": "SV"}
    assert items.filters() == {"q": "泵", "make_or_buy": "", "line": 3, "configured": "no"}
    assert projection.filters() == {"q": "泵", "line": 3, "short_only": True}
