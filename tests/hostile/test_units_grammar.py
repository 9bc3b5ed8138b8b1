"""Units are parsed, never evaluated: hostile unit text is refused quickly, as UnknownUnit and nothing else."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from unittest import mock

import pint
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carbon.errors import UnknownUnit
from carbon.units import MAX_UNIT_LENGTH, Q_, parse_quantity, parse_unit
from tests.timing import thread_cpu

# Expressions pint's own parser would evaluate: too slow (a power tower), a crash (division by zero), a
# tokenizer error (an open bracket), a formula.
HOSTILE = ["9**9**8", "7**9**7", "1/0", "0**-1", "kWh)", "kWh{", "(kWh", "=kWh", "+kWh", "@SUM(A1)", "kWh^99",
           "kWh**(9**9)", "2*kWh", "kWh*2", "kWh^1.5", "kWh^^2", "kWh//h", "kWh/", "/kWh", "__import__", "kWh;", "\x00",
           "kWh\ud800", "k" * (MAX_UNIT_LENGTH + 1), "m" + "*m" * 40, "zz", "10**10**10 kWh"]


@contextlib.contextmanager
def never_evaluated() -> Iterator[None]:
    """Fail if pint's expression evaluator (where a power tower would run) is reached inside the block."""
    refuse = mock.Mock(side_effect=AssertionError("the unit text reached pint's evaluator"))
    with mock.patch.object(pint.facets.plain.registry, "build_eval_tree", refuse), \
            mock.patch.object(pint.util, "build_eval_tree", refuse):
        yield


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_unit_text_is_refused_quickly(text: str) -> None:
    with never_evaluated(), thread_cpu() as spent, pytest.raises(UnknownUnit):
        parse_unit(text)
    assert spent.seconds < 0.1


@pytest.mark.parametrize(("text", "target", "expected"), [
    ("万千瓦时", "kWh", 1e4), ("kWh", "kWh", 1), ("t", "kg", 1e3), ("吨", "kg", 1e3), ("万立方米", "m3", 1e4),
    ("Nm³", "m3", 1), ("kJ/kg", "J/g", 1), ("MJ/m3", "kJ/m3", 1e3), ("tce/万元", "kgce/元", 0.1),
    ("kgce/kWh", "kgce/MWh", 1e3), ("tCO2/MWh", "kgCO2/kWh", 1),
    ("gCO2e/kWh", "tCO2/MWh", 1e-3), ("kgCO2e/kW/yr", "kgCO2/kW/year", 1), ("m²", "m^2", 1), ("m2", "m**2", 1),
    ("kg·m^2", "kg*m**2", 1), ("m^-1", "1/m", 1), ("万 千瓦时", "kWh", 1e4), ("kgce／kg", "kgce/kg", 1),
    ("%", "dimensionless", 0.01), ("万kWh", "kWh", 1e4), ("亿kWh", "万千瓦时", 1e4), ("万t", "t", 1e4),
])
def test_units_in_use_keep_working(text: str, target: str, expected: float) -> None:
    assert Q_(1, parse_unit(text)).to(target).magnitude == pytest.approx(expected)


def test_quantities_are_parsed_not_evaluated() -> None:
    assert parse_quantity("12.5 kgce/t").to("kgce/t").magnitude == pytest.approx(12.5)
    assert parse_quantity("3").magnitude == 3
    with pytest.raises(UnknownUnit):
        parse_quantity("9**9**8")
    with pytest.raises(UnknownUnit):
        parse_quantity("1 9**9**8")


def test_registry_itself_refuses_a_power_tower() -> None:
    """Defence in depth: program constants only reach pint's parser, but even there no power tower runs."""
    with pytest.raises(UnknownUnit):
        Q_(1, "9**9**8")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80) | st.text(alphabet="0123456789*/^()-+.kWhm万吨²³·{} ", max_size=30))
def test_random_text_is_a_unit_or_unknown_within_bounded_time(text: str) -> None:
    with never_evaluated(), thread_cpu() as spent, contextlib.suppress(UnknownUnit):
        parse_unit(text)
    assert spent.seconds < 0.1
