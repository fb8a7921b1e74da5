"""Invariants of the adapter's tax step, for any bill the fake service taxes: every line keeps
its id and place; a tax-exclusive line keeps its amount; a tax-inclusive line's amount plus its
billed taxes is its price; every tax is in whole minor units; the tax items add up to the lines'
billed taxes."""

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tollway.billing import AppliedBillingRate, ChargeType
from tollway.money import currency, sum_money
from tollway.tax.provider import (
    DEFAULT_SERVICE_MAPPING,
    CommunicationsTaxAdapter,
    FakeCommunicationsTaxService,
)

from .provider_world import World, activated, bill_line, day

SITES = ("PHL", "NYC", "AUS", "WIL")


@st.composite
def bills(draw: st.DrawFn) -> tuple[World, tuple[AppliedBillingRate, ...], str]:
    currency_code = draw(st.sampled_from(["USD", "JPY", "BHD"]))
    decimals = currency(currency_code).minor_units
    world = World()
    world.account("ACME", currency_code=currency_code)
    world.offering("port", mrc="1", currency_code=currency_code)
    world.offering("bundle", mrc="1", tax_inclusive=True, currency_code=currency_code)
    lines = []
    for index in range(draw(st.integers(1, 6))):
        inclusive = draw(st.booleans())
        product = f"P{index}"
        world.product(
            product,
            account="ACME",
            offering="bundle" if inclusive else "port",
            events=activated(day(4, 1)),
            site_a=draw(st.sampled_from(SITES)),
            site_z=None if inclusive else draw(st.sampled_from((None, *SITES))),
            voice_channels=draw(st.integers(0, 30)),
        )
        # A tax-inclusive price covers its per-line fees (at most 30 x 1.65): at least 100.
        floor = 100 * 10**decimals
        minor = draw(st.integers(floor, 10**9) if inclusive else st.integers(-(10**7), 10**9))
        amount = Decimal(minor).scaleb(-decimals)
        lines.append(bill_line(f"L{index}", amount=str(amount), product=product,
                               price=f"{'bundle' if inclusive else 'port'}-mrc",
                               currency_code=currency_code))  # fmt: skip
    return world, tuple(lines), currency_code


@given(bills())
def test_the_tax_step_keeps_every_line_and_its_price(
    bill: tuple[World, tuple[AppliedBillingRate, ...], str],
) -> None:
    world, lines, currency_code = bill
    inputs = world.inputs()
    adapter = CommunicationsTaxAdapter(
        FakeCommunicationsTaxService(), mapping=DEFAULT_SERVICE_MAPPING
    )
    taxed, items = adapter.apply(
        lines,
        account=inputs.accounts["ACME"],
        party=inputs.parties["party-ACME"],
        inputs=inputs,
        bill_date=date(2026, 4, 1),
    )
    assert [line.id for line in taxed] == [line.id for line in lines]
    for before, after in zip(lines, taxed, strict=True):
        assert all(tax.tax_amount.is_rounded for tax in after.taxes)
        if after.tax_inclusive:
            assert after.amount + after.tax_amount == before.amount
        else:
            assert after.amount == before.amount
        assert after.charge_type is ChargeType.RECURRING
    line_taxes = sum_money([line.tax_amount for line in taxed], currency(currency_code))
    assert sum_money([item.tax_amount for item in items], currency(currency_code)) == line_taxes
