"""`reconcile cycle` picks tollway's bills as the bill run does: by the local date the bill's
period starts in the paying account's own time zone, not by the UTC instant."""

from datetime import UTC, datetime

from tollway.cli._reconcile import local_cycle_month


def test_a_tokyo_march_bill_starts_in_february_utc_but_belongs_to_march() -> None:
    # 2026-03-01T00:00+09:00 (Tokyo) = 2026-02-28T15:00Z.
    start = datetime(2026, 2, 28, 15, 0, tzinfo=UTC)
    assert local_cycle_month(start, time_zone="Asia/Tokyo") == "2026-03"


def test_a_new_york_march_bill_starts_on_march_first_local() -> None:
    # 2026-03-01T00:00-05:00 (New York) = 2026-03-01T05:00Z.
    start = datetime(2026, 3, 1, 5, 0, tzinfo=UTC)
    assert local_cycle_month(start, time_zone="America/New_York") == "2026-03"


def test_a_utc_bill_at_midnight_of_the_first_is_in_that_month() -> None:
    start = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    assert local_cycle_month(start, time_zone="UTC") == "2026-03"


def test_a_tokyo_april_bill_is_not_in_march() -> None:
    # 2026-04-01T00:00+09:00 = 2026-03-31T15:00Z: UTC says March, the account's calendar April.
    start = datetime(2026, 3, 31, 15, 0, tzinfo=UTC)
    assert local_cycle_month(start, time_zone="Asia/Tokyo") == "2026-04"
