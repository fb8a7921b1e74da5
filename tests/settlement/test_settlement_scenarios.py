"""The two deals of issue 7, statements written out for their key periods.

1. Northwind pays Orbital 20 % of direct-to-cell revenue (net of tax and credits) until the
   milestone "one million subscribers", which occurs on 2025-06-15. Every month bills
   310,000.00 (messaging) + 620,000.00 (data) of direct-to-cell revenue, plus 45,000.00 of voice
   outside the deal, on the 1st for that month.
2. Northwind sells Stratus capacity (4,000,000.00 a month) and buys its cloud services
   (2,600,000.00 a month), netted monthly; April's 180,000.00 egress overage is disputed,
   withheld, and 60,000.00 of it accepted on 2025-06-20.
"""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from tollway.settlement import (
    AgreementStatus,
    SettlementHistory,
    render_netting_text,
    render_statement_text,
    settle,
)
from tollway.settlement.scenarios import (
    milestone_revenue_share,
    project_reciprocal,
    reciprocal_deal,
    settle_revenue_share,
)

# June: 14 of 30 days before the milestone. 310,000.00 x 14/30 = 144,666.67 (largest remainder),
# 20 % = 28,933.334 -> 28,933.33; 620,000.00 x 14/30 = 289,333.33, 20 % = 57,866.666 -> 57,866.67.
# Payable 86,800.00 (= 20 % of 434,000.00). Paid since January: 5 x 186,000.00 + 86,800.00.
JUNE_STATEMENT = """\
Revenue-share statement RSS-AG-D2C-2025-20250601
Agreement   AG-D2C-2025 version 1 (model RS-D2C-20)
Parties     operator OP-NORTHWIND, partner SAT-ORBITAL
Period      2025-06-01 to 2025-07-01 (end excluded)
Basis       accrual basis, net of tax, credits; USD; share lines rounded half_up
Milestone   one-million-d2c-subscribers occurred 2025-06-15T00:00:00+00:00, recorded 2025-06-18T09:30:00+00:00

Item d2c-20: 20 % of direct-to-cell revenue until one million subscribers (in effect at the period start)
  ended 2025-06-15T00:00:00+00:00: milestone 'one-million-d2c-subscribers' occurred 2025-06-15T00:00:00+00:00, recorded 2025-06-18T09:30:00+00:00
  Bill                   Line  Service                   Line basis       Basis  Band  Rate %      Share
  NW-FLEET-1-2025-06     L1    2025-06-01 to 2025-06-15  310,000.00  144,666.67     -      20  28,933.33
  NW-MARITIME-7-2025-06  L2    2025-06-01 to 2025-06-15  620,000.00  289,333.33     -      20  57,866.67
  Basis 434,000.00; earned 86,800.00; payable 86,800.00
  Since the start: basis 5,084,000.00, paid 1,016,800.00, guarantee outstanding 0.00

Not shared
  Bill                   Line  Service                           Amount  Reason
  NW-FLEET-1-2025-06     L1    2025-06-15 to 2025-07-01  165,333.33 USD  no_item_in_effect: d2c-20 is in effect from 2025-01-01T00:00:00+00:00 to 2025-06-15T00:00:00+00:00 (milestone 'one-million-d2c-subscribers' occurred 2025-06-15T00:00:00+00:00, recorded 2025-06-18T09:30:00+00:00)
  NW-FLEET-1-2025-06     L3    2025-06-01 to 2025-07-01   45,000.00 USD  out_of_scope: no share item's scope covers it
  NW-MARITIME-7-2025-06  L2    2025-06-15 to 2025-07-01  330,666.67 USD  no_item_in_effect: d2c-20 is in effect from 2025-01-01T00:00:00+00:00 to 2025-06-15T00:00:00+00:00 (milestone 'one-million-d2c-subscribers' occurred 2025-06-15T00:00:00+00:00, recorded 2025-06-18T09:30:00+00:00)

Total payable 86,800.00 USD: OP-NORTHWIND pays SAT-ORBITAL
Digest sha256:c719f985474c424734ac74518343490f796aca270c0f526dd8ba6c366820a249
"""

# April: 4,000,000.00 receivable; 2,600,000.00 + 180,000.00 payable, the 180,000.00 withheld:
# net = 4,000,000.00 - 2,780,000.00 - (0 - 180,000.00) = 1,400,000.00, paid by Stratus.
APRIL_NETTING = """\
Netting statement AG-RECIPROCAL-2025 2025-04-01
Agreement   AG-RECIPROCAL-2025 version 1
Parties     operator OP-NORTHWIND, partner CP-STRATUS
Period      2025-04-01 to 2025-05-01 (end excluded)
Scope       cloud_services, network_capacity; USD

  Side        Kind      Document    Line  Date        Description                                      Amount    Withheld  Note
  receivable  invoiced  NW-2025-04  L1    2025-04-01  400G wavelengths, 24 routes                2,450,000.00        0.00
  receivable  invoiced  NW-2025-04  L2    2025-04-01  Dark fibre IRU, 1,800 route-miles          1,300,000.00        0.00
  receivable  invoiced  NW-2025-04  L3    2025-04-01  Colocation and cross-connects                250,000.00        0.00
  payable     invoiced  ST-2025-04  C1    2025-04-01  Compute reserved instances                 1,950,000.00        0.00
  payable     invoiced  ST-2025-04  C2    2025-04-01  Object storage and egress                    650,000.00        0.00
  payable     invoiced  ST-2025-04  C3    2025-04-01  Egress overage (disputed: metering fault)    180,000.00  180,000.00  180000.00 disputed since 2025-04-09: withheld until resolved

  Total                                             USD
  Receivables (we invoiced)                4,000,000.00
  Payables (partner invoiced)              2,780,000.00
  Withheld receivable                              0.00
  Withheld payable                           180,000.00
  Net (receivables - payables - withheld)  1,400,000.00
  CP-STRATUS pays OP-NORTHWIND 1,400,000.00 USD
  Digest sha256:586097df8561a4af6693944962d43459b6cc5ddeb7ef58ffc90e24adaeb9fe20
"""

# June: the dispute resolved on the 20th releases the accepted 60,000.00 as a payable:
# net = 4,000,000.00 - (2,600,000.00 + 60,000.00) = 1,340,000.00.
JUNE_NETTING = """\
Netting statement AG-RECIPROCAL-2025 2025-06-01
Agreement   AG-RECIPROCAL-2025 version 1
Parties     operator OP-NORTHWIND, partner CP-STRATUS
Period      2025-06-01 to 2025-07-01 (end excluded)
Scope       cloud_services, network_capacity; USD

  Side        Kind      Document    Line  Date        Description                                      Amount  Withheld  Note
  receivable  invoiced  NW-2025-06  L1    2025-06-01  400G wavelengths, 24 routes                2,450,000.00      0.00
  receivable  invoiced  NW-2025-06  L2    2025-06-01  Dark fibre IRU, 1,800 route-miles          1,300,000.00      0.00
  receivable  invoiced  NW-2025-06  L3    2025-06-01  Colocation and cross-connects                250,000.00      0.00
  payable     released  ST-2025-04  C3    2025-04-01  Egress overage (disputed: metering fault)     60,000.00      0.00  released: dispute resolved 2025-06-20, 60000.00 of 180000.00 accepted
  payable     invoiced  ST-2025-06  C1    2025-06-01  Compute reserved instances                 1,950,000.00      0.00
  payable     invoiced  ST-2025-06  C2    2025-06-01  Object storage and egress                    650,000.00      0.00

  Total                                             USD
  Receivables (we invoiced)                4,000,000.00
  Payables (partner invoiced)              2,660,000.00
  Withheld receivable                              0.00
  Withheld payable                                 0.00
  Net (receivables - payables - withheld)  1,340,000.00
  CP-STRATUS pays OP-NORTHWIND 1,340,000.00 USD
  Digest sha256:8b39757c38ca3c4dde9b3011ef77989943af13d5e49a7f710ca4b152a419ae7f
"""


class TestMilestoneRevenueShare:
    def test_twenty_percent_until_the_milestone_and_nothing_after(self) -> None:
        statements = settle_revenue_share(milestone_revenue_share())
        # Jan-May: 20 % of 930,000.00 = 186,000.00; June 86,800.00; July, August nothing.
        assert [str(each.total_payable) for each in statements] == [
            "186000.00", "186000.00", "186000.00", "186000.00", "186000.00", "86800.00",
            "0.00", "0.00",
        ]  # fmt: skip
        assert statements[-1].item("d2c-20").cumulative_paid == Decimal("1016800.00")

    def test_the_june_statement_written_out(self) -> None:
        june = settle_revenue_share(milestone_revenue_share())[5]
        assert render_statement_text(june) == JUNE_STATEMENT

    def test_had_june_been_settled_before_the_milestone_july_claws_the_excess_back(
        self,
    ) -> None:
        scenario = milestone_revenue_share()
        unaware = replace(scenario, milestones=(), periods=scenario.periods[:6])
        history = SettlementHistory(scenario.agreement.id, settle_revenue_share(unaware))
        assert history.statements[5].total_payable == Decimal("186000.00")
        july = settle(
            scenario.agreement,
            scenario.model,
            scenario.revenue_lines,
            period=scenario.periods[6],
            accounting_basis=scenario.accounting_basis,
            history=history,
            milestones=scenario.milestones,
        )
        # 16 of June's 30 days came after the milestone: 62,000.00 x 16/30 = 33,066.67 and
        # 124,000.00 x 16/30 = 66,133.33 are taken back; July itself shares nothing.
        assert [
            (each.kind.value, each.bill_no, str(each.amount))
            for each in july.item("d2c-20").adjustments
        ] == [
            ("termination_clawback", "NW-FLEET-1-2025-06", "-33066.67"),
            ("termination_clawback", "NW-MARITIME-7-2025-06", "-66133.33"),
        ]
        assert (july.total_payable, july.payer_id) == (Decimal("-99200.00"), "SAT-ORBITAL")

    def test_the_agreement_records_the_stake_and_the_exclusivity(self) -> None:
        scenario = milestone_revenue_share()
        assert scenario.agreement.status is AgreementStatus.IN_FORCE
        version = scenario.agreement.versions[0]
        exclusivity = version.terms.exclusivity
        assert exclusivity is not None
        assert (exclusivity.exclusive_until, exclusivity.territory) == (date(2032, 12, 31), "US")
        [stake] = version.terms.equity_stakes
        assert (stake.holder_party_id, stake.issuer_party_id, stake.percent) == (
            "OP-NORTHWIND",
            "SAT-ORBITAL",
            Decimal("6.5"),
        )
        assert version.revenue_share_model_id == scenario.model.id


class TestReciprocalDeal:
    def test_twelve_months_netted(self) -> None:
        projection = project_reciprocal(reciprocal_deal())
        # 1,400,000.00 every month but June (1,340,000.00: the released 60,000.00 is payable)
        assert [str(each.net) for each in projection.statements] == [
            "1400000.00", "1400000.00", "1400000.00", "1400000.00", "1400000.00", "1340000.00",
            "1400000.00", "1400000.00", "1400000.00", "1400000.00", "1400000.00", "1400000.00",
        ]  # fmt: skip
        assert {each.payer_id for each in projection.statements} == {"CP-STRATUS"}

    def test_the_projected_savings_exceed_twenty_million(self) -> None:
        projection = project_reciprocal(reciprocal_deal())
        # Baseline 12 x 4,400,000.00 = 52,800,000.00; cloud charges 12 x 2,600,000.00 + the
        # 60,000.00 accepted = 31,260,000.00; savings 21,540,000.00.
        assert projection.baseline_cost == Decimal("52800000.00")
        assert projection.cloud_charges == Decimal("31260000.00")
        assert projection.projected_savings == Decimal("21540000.00")
        # Paying gross both ways would move 48,000,000.00 + 31,260,000.00 = 79,260,000.00;
        # netting moves 11 x 1,400,000.00 + 1,340,000.00 = 16,740,000.00.
        assert projection.capacity_revenue == Decimal("48000000.00")
        assert projection.net_cash_flows == Decimal("16740000.00")
        assert projection.cash_movement_avoided == Decimal("62520000.00")

    def test_april_withholds_the_disputed_overage(self) -> None:
        april = project_reciprocal(reciprocal_deal()).statements[3]
        assert render_netting_text(april) == APRIL_NETTING

    def test_june_releases_the_accepted_part(self) -> None:
        june = project_reciprocal(reciprocal_deal()).statements[5]
        assert render_netting_text(june) == JUNE_NETTING
