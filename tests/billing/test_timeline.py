"""A circuit's segments over a window, from its lifecycle events."""

from decimal import Decimal

import pytest
from billing_world import activate, change, day, disconnect, resume, suspend

from tollway.inventory import LifecycleAction, LifecycleEvent, Product
from tollway.inventory._timeline import LifecycleError, Segment, segments


def circuit(*events: LifecycleEvent) -> Product:
    return Product("P1", "CKT-1", "A1", "mpls-50", Decimal(50), "S1", "US-PA", tuple(events))


def march(product: Product) -> tuple[Segment, ...]:
    return segments(product, start=day(3, 1), end=day(4, 1))


def test_nothing_before_activation_and_the_rest_of_the_window_after_it() -> None:
    ordered = LifecycleEvent(day(2, 20), LifecycleAction.ORDER)
    assert march(circuit(ordered, activate(day(3, 16)))) == (
        Segment(day(3, 16), day(4, 1), "mpls-50", Decimal(50), active=True),
    )


def test_a_circuit_active_before_the_window_is_clipped_to_it() -> None:
    assert march(circuit(activate(day(1, 10)))) == (
        Segment(day(3, 1), day(4, 1), "mpls-50", Decimal(50), active=True),
    )


def test_an_upgrade_splits_the_window_at_the_change() -> None:
    upgraded = circuit(activate(day(1, 10)), change(day(3, 16), "mpls-100", "100"))
    assert march(upgraded) == (
        Segment(day(3, 1), day(3, 16), "mpls-50", Decimal(50), active=True),
        Segment(day(3, 16), day(4, 1), "mpls-100", Decimal(100), active=True),
    )


def test_a_bandwidth_only_change_keeps_the_offering() -> None:
    faster = circuit(activate(day(1, 10)), change(day(3, 10), mbps="200"))
    assert [(s.offering_id, s.bandwidth_mbps) for s in march(faster)] == [
        ("mpls-50", Decimal(50)),
        ("mpls-50", Decimal(200)),
    ]


def test_a_suspension_is_an_inactive_segment_until_resumed() -> None:
    paused = circuit(activate(day(1, 10)), suspend(day(3, 5)), resume(day(3, 20)))
    assert [(s.start.day, s.end.day, s.active) for s in march(paused)] == [
        (1, 5, True),
        (5, 20, False),
        (20, 1, True),
    ]


def test_nothing_from_the_disconnect_on() -> None:
    gone = circuit(activate(day(1, 10)), disconnect(day(3, 16)))
    assert march(gone) == (Segment(day(3, 1), day(3, 16), "mpls-50", Decimal(50), active=True),)


def test_a_disconnect_on_the_window_start_leaves_nothing() -> None:
    assert march(circuit(activate(day(1, 10)), disconnect(day(3, 1)))) == ()


def test_a_window_before_activation_is_empty() -> None:
    assert segments(circuit(activate(day(5, 1))), start=day(3, 1), end=day(4, 1)) == ()


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ((change(day(3, 1), "mpls-100"),), "change at 2026-03-01T00:00:00+00:00 comes before"),
        ((activate(day(3, 1)), activate(day(3, 2))), "activate at 2026-03-02T00:00:00+00:00"),
        ((activate(day(3, 1)), disconnect(day(3, 5)), resume(day(3, 9))), "after the product was"),
        ((activate(day(3, 1)), resume(day(3, 9))), "while the product is not suspended"),
        ((activate(day(3, 1)), suspend(day(3, 2)), suspend(day(3, 9))), "already suspended"),
        ((disconnect(day(3, 1)),), "comes before the product is activated"),
    ],
)
def test_lifecycle_violations_name_the_product_and_the_event(
    events: tuple[LifecycleEvent, ...], message: str
) -> None:
    with pytest.raises(LifecycleError, match="product 'P1' \\(circuit CKT-1\\)") as raised:
        march(circuit(*events))
    assert message in raised.value.message
    assert raised.value.code == "invalid_lifecycle"
