"""Which time step a TOTP code belongs to, and that each step is spent once."""

from datetime import UTC, datetime, timedelta

import pyotp

from hub.accounts.one_time_codes import matching_step, spend

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = datetime(2026, 11, 29, 9, 0, 10, tzinfo=UTC)


def code_at(moment: datetime) -> str:
    return pyotp.TOTP(SECRET).at(moment)


def test_a_code_from_one_period_either_side_is_recognised_with_its_step() -> None:
    current = pyotp.TOTP(SECRET).timecode(NOW)
    for offset in (-1, 0, 1):
        assert matching_step(SECRET, code_at(NOW + timedelta(seconds=30 * offset)), NOW) == current + offset


def test_codes_two_periods_away_wrong_codes_and_no_secret_are_refused() -> None:
    assert matching_step(SECRET, code_at(NOW - timedelta(seconds=60)), NOW) is None
    assert matching_step(SECRET, code_at(NOW + timedelta(seconds=60)), NOW) is None
    wrong = "000000" if code_at(NOW) != "000000" else "111111"
    assert matching_step(SECRET, wrong, NOW) is None
    assert matching_step("", code_at(NOW), NOW) is None


def test_spending_refuses_the_same_or_an_earlier_step() -> None:
    step = spend(SECRET, f" {code_at(NOW)} ", NOW, None)  # pasted with spaces around
    assert step is not None
    assert spend(SECRET, code_at(NOW), NOW, step) is None
    assert spend(SECRET, code_at(NOW - timedelta(seconds=30)), NOW, step) is None
    assert spend(SECRET, code_at(NOW + timedelta(seconds=30)), NOW, step) == step + 1
