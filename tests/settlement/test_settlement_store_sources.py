"""Revenue lines and receivables from issued bills, and which dated entries a period takes."""

from datetime import UTC, date, datetime
from decimal import Decimal

from tollway.billing import (
    AppliedBillingRate,
    BillCategory,
    BillState,
    ChargeType,
    CustomerBill,
    credit_note_for,
)
from tollway.money import Money, currency
from tollway.settlement import Basis, Dispute, FlatShare, RevenueShareModel, Scope, ShareItem
from tollway.settlement._sources import (
    CatalogIndex,
    Recognition,
    receivables,
    revenue_in_period,
    revenue_line,
    revenue_lines,
)
from tollway.settlement.scenarios import milestone_model

from .test_settlement_store_world import tiny_world

USD = currency("USD")
FEBRUARY = (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
INDEX = CatalogIndex.of(tiny_world())


def charge(
    line_id: str, amount: str, *, product: str | None, price: str | None
) -> AppliedBillingRate:
    charge_type = ChargeType.DISCOUNT if amount.startswith("-") else ChargeType.RECURRING
    return AppliedBillingRate(
        line_id, "BA-FLEET", charge_type, f"line {line_id}", *FEBRUARY, Decimal(1),
        Money.of(amount, "USD"), Decimal(amount), product, f"CKT-{product}", price,
    )  # fmt: skip


FEBRUARY_BILL = CustomerBill(
    "bill-1",
    "BA-FLEET",
    USD,
    *FEBRUARY,
    date(2026, 2, 1),
    (
        charge("L1", "1000.00", product="P-1", price="d2c-data-mrc"),
        charge("L2", "-100.00", product="P-1", price=None),
        charge("L3", "200.00", product="P-2", price="pri-voice-mrc"),
    ),
    state=BillState.ISSUED,
    bill_no="INV-00000001",
)


def issued(note: CustomerBill, bill_no: str) -> CustomerBill:
    return CustomerBill(
        note.id, note.billing_account_id, note.currency, note.billing_period_start,
        note.billing_period_end, note.bill_date, note.lines, note.tax_items, BillState.ISSUED,
        note.category, bill_no, related_bill_no=note.related_bill_no,
    )  # fmt: skip


def test_a_bill_line_becomes_a_revenue_line_with_its_catalog_facts() -> None:
    line = revenue_line(FEBRUARY_BILL, FEBRUARY_BILL.lines[0], INDEX)

    assert (line.bill_no, line.line_id, line.bill_date) == ("INV-00000001", "L1", date(2026, 2, 1))
    assert (line.offering_id, line.product_type, line.product_id) == ("d2c-data", "d2c", "P-1")
    assert (str(line.amount), str(line.tax_amount), line.paid_on) == ("1000.00", "0.00", None)
    assert (line.service_start, line.service_end) == FEBRUARY
    assert not line.is_credit


def test_a_line_without_a_price_takes_its_products_offering() -> None:
    line = revenue_line(FEBRUARY_BILL, FEBRUARY_BILL.lines[1], INDEX)

    assert (line.offering_id, line.product_type, str(line.amount)) == ("d2c-data", "d2c", "-100.00")


def test_only_lines_in_the_models_scope_are_taken() -> None:
    lines = revenue_lines([FEBRUARY_BILL], INDEX, d2c_model(Basis.gross()))

    assert [line.line_id for line in lines] == ["L1", "L2"]


def d2c_model(basis: Basis) -> RevenueShareModel:
    item = ShareItem(
        "d2c", "d2c", FlatShare(Decimal(20)), Scope(offering_ids=frozenset({"d2c-data"}))
    )
    return RevenueShareModel("RS", "d2c", USD, basis, (item,))


def test_a_credit_note_line_credits_the_line_it_reverses() -> None:
    note = issued(credit_note_for(FEBRUARY_BILL, reason="refund"), "CN-00000001")

    lines = revenue_lines([note], INDEX, milestone_model_in_scope())

    # L1-cn credits INV-00000001/L1; L2-cn reverses a discount (+100.00): it adds revenue back,
    # an ordinary line under a basis net of credits.
    assert [(line.line_id, str(line.amount), line.credited_key) for line in lines] == [
        ("L1-cn", "-1000.00", ("INV-00000001", "L1")),
        ("L2-cn", "100.00", None),
    ]
    assert note.category is BillCategory.CREDIT_NOTE


def milestone_model_in_scope() -> RevenueShareModel:
    return d2c_model(milestone_model().basis)


def test_under_a_gross_basis_reversed_discounts_are_left_out_like_the_credits() -> None:
    note = issued(credit_note_for(FEBRUARY_BILL, reason="refund"), "CN-00000001")

    lines = revenue_lines([note], INDEX, d2c_model(Basis.gross()))

    assert [line.line_id for line in lines] == ["L1-cn"]


def test_receivables_are_our_lines_to_the_partner_netted_by_product_type() -> None:
    dispute = Dispute("D-1", Decimal("50.00"), date(2026, 2, 3))

    found = receivables([FEBRUARY_BILL], INDEX, {("INV-00000001", "L3"): dispute})

    assert [(each.line_id, each.category, str(each.amount)) for each in found] == [
        ("L1", "d2c", "1000.00"),
        ("L2", "d2c", "-100.00"),
        ("L3", "voice", "200.00"),
    ]
    assert found[2].dispute == dispute


def test_a_period_takes_its_own_lines_and_late_ones_redated() -> None:
    lines = revenue_lines([FEBRUARY_BILL], INDEX, d2c_model(Basis.gross()))
    march = Recognition(
        first=date(2026, 3, 1),
        end=date(2026, 4, 1),
        settled_from=date(2026, 2, 1),
        cited_before=frozenset({"INV-00000001/L1"}),
    )

    taken = revenue_in_period(lines, march)

    # L1 was taken by February's statement; L2 was issued for February after it was settled.
    assert [(line.line_id, line.bill_date) for line in taken] == [("L2", date(2026, 3, 1))]


def test_nothing_before_the_first_settled_period_is_late() -> None:
    lines = revenue_lines([FEBRUARY_BILL], INDEX, d2c_model(Basis.gross()))
    first_ever = Recognition(
        first=date(2026, 3, 1), end=date(2026, 4, 1), settled_from=None, cited_before=frozenset()
    )

    assert revenue_in_period(lines, first_ever) == []


def test_re_running_a_period_takes_only_what_its_statement_took() -> None:
    lines = revenue_lines([FEBRUARY_BILL], INDEX, d2c_model(Basis.gross()))
    february_again = Recognition(
        first=date(2026, 2, 1),
        end=date(2026, 3, 1),
        settled_from=None,
        cited_before=frozenset(),
        cited_now=frozenset({"INV-00000001/L1"}),
    )

    assert [line.line_id for line in revenue_in_period(lines, february_again)] == ["L1"]
