"""The depreciation table: tiers by whole months in use, their boundaries, exact money."""
import datetime as dt
from decimal import Decimal

import pytest

from kiosk.domain.depreciation import DEFAULT_TABLE, amount, months_in_use, parse_table, percent

BOUGHT = dt.date(2025, 3, 15)


@pytest.mark.parametrize("on_date, share", [
    (dt.date(2025, 3, 15), 100),
    (dt.date(2025, 9, 14), 100),   # 5 months and a bit: still under 6
    (dt.date(2025, 9, 15), 80),    # exactly 6 months: the 6–12 tier
    (dt.date(2026, 3, 14), 80),
    (dt.date(2026, 3, 15), 60),    # exactly 1 year
    (dt.date(2027, 3, 15), 40),    # exactly 2 years
    (dt.date(2028, 3, 15), 20),    # exactly 3 years
    (dt.date(2029, 3, 14), 20),
    (dt.date(2029, 3, 15), 0),     # 4 years and more: worth nothing
    (dt.date(2035, 1, 1), 0),
])
def test_each_tier_begins_on_its_month_boundary(on_date, share):
    assert percent(months_in_use(BOUGHT, on_date), DEFAULT_TABLE) == share


def test_amount_is_price_times_tier_rounded_half_up_to_the_fen():
    assert amount(Decimal("99.99"), BOUGHT, dt.date(2025, 9, 15)) == Decimal("79.99")  # 79.992
    assert amount(Decimal("0.05"), BOUGHT, dt.date(2026, 3, 15)) == Decimal("0.03")    # 0.030
    assert amount(Decimal("120.00"), BOUGHT, dt.date(2025, 4, 1)) == Decimal("120.00")


def test_a_date_before_the_purchase_counts_as_new():
    assert months_in_use(BOUGHT, dt.date(2025, 1, 1)) == 0


def test_a_table_from_the_environment_is_parsed_and_bad_ones_refused():
    assert parse_table("3:100, 12:50") == ((3, Decimal(100)), (12, Decimal(50)))
    for bad in ("", "6", "6:120", "12:80,6:100", "x:10"):
        with pytest.raises(ValueError):
            parse_table(bad)


def test_the_setting_reaches_the_app_config(monkeypatch, tmp_path):
    from kiosk.config import from_environment

    monkeypatch.setenv("KIOSK_DEPRECIATION", "12:100")
    monkeypatch.setenv("KIOSK_UNWASHED_FEE", "15.5")
    config = from_environment(str(tmp_path))
    assert config["KIOSK_DEPRECIATION"] == ((12, Decimal(100)),)
    assert config["KIOSK_UNWASHED_FEE"] == Decimal("15.50")
