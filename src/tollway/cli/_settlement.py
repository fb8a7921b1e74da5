"""`tollway settlement ...`: partner agreements, revenue-share statements, netting, accounts.

Every command works on a workspace (`-w`); user mistakes raise TollwayErrors, which the
application's error boundary prints as one line (exit code 2). Output is plain text, so the same
stored statement always prints the same bytes.
"""

import shutil
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Final

import typer

from tollway.cli._app import app
from tollway.cli._workspace import WorkspaceOption, create_workspace, open_workspace
from tollway.money import TollwayError
from tollway.periods import BillingPeriod, Cadence, period_containing
from tollway.settlement import (
    AccountingBasis,
    MilestoneEvent,
    NettingStatement,
    SettlementStatement,
    Side,
    render_netting_csv,
    render_netting_json,
    render_netting_text,
    render_statement_csv,
    render_statement_json,
    render_statement_text,
    render_tmf737_report,
)
from tollway.settlement._demo import run_settlement_demo
from tollway.settlement._disputes import DisputedLine, raise_dispute, resolve_dispute
from tollway.settlement._ledger import render_account_text
from tollway.settlement._workspace import (
    account_history,
    import_charges,
    load_agreements,
    net_period,
    record_milestone,
    settle_period,
    stored_statements,
)

DEMO_MARKER: Final = ".tollway-settlement-demo"
rejects_shown_max: Final = 10

settlement_app = typer.Typer(
    help="Partner settlement: agreements, revenue-share statements, netting, settlement accounts.",
    no_args_is_help=True,
)
app.add_typer(settlement_app, name="settlement")


class SettlementCommandError(TollwayError):
    code = "invalid_settlement_command"


class StatementFormat(StrEnum):
    TEXT = "text"
    CSV = "csv"
    JSON = "json"
    TMF737 = "tmf737"


def month_period(text: str) -> BillingPeriod:
    """`"2025-06"` → the calendar month [2025-06-01, 2025-07-01) in UTC.

    >>> month_period("2025-06").end.isoformat()
    '2025-07-01T00:00:00+00:00'
    """
    try:
        year, number = (int(part) for part in text.split("-"))
        start = datetime(year, number, 1, tzinfo=UTC)
    except ValueError:
        raise SettlementCommandError(
            f"--period {text!r}: expected a month as YYYY-MM, e.g. 2025-06"
        ) from None
    return period_containing(start, cadence=Cadence.MONTHLY, time_zone=UTC)


def _instant(text: str, *, option: str) -> datetime:
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        found = None
    if found is None or found.utcoffset() is None:
        raise SettlementCommandError(
            f"{option} {text!r}: expected an ISO 8601 instant with its offset, "
            "e.g. 2025-06-15T00:00:00+00:00"
        )
    return found


def _day(text: str, *, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SettlementCommandError(f"{option} {text!r}: expected a date as YYYY-MM-DD") from None


def _decimal(text: str, *, option: str) -> Decimal:
    try:
        found = Decimal(text)
    except InvalidOperation:
        found = Decimal("NaN")
    if not found.is_finite():
        raise SettlementCommandError(f"{option} {text!r}: expected an amount, e.g. 60000.00")
    return found


AgreementOption = Annotated[str, typer.Option("--agreement", help="The partner agreement id.")]
PeriodOption = Annotated[str, typer.Option("--period", help="The month, YYYY-MM (UTC).")]


@settlement_app.command("load-agreements")
def load_agreements_command(
    file: Annotated[Path, typer.Argument(help="YAML or JSON: agreements, revenue_share_models.")],
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Load partner agreements and revenue-share models (an amendment is a new version)."""
    loaded = load_agreements(open_workspace(workspace).database, file)
    typer.echo(
        f"{file.name}: {loaded.agreements} agreements ({loaded.versions_added} versions added), "
        f"{loaded.models} revenue-share models ({loaded.models_added} added)"
    )


@settlement_app.command("milestone")
def milestone_command(
    agreement_id: Annotated[str, typer.Argument(help="The partner agreement id.")],
    name: Annotated[str, typer.Argument(help="The milestone's name, as the model's items end on.")],
    occurred_at: Annotated[str, typer.Option(help="When it occurred (ISO 8601, with offset).")],
    recorded_at: Annotated[str, typer.Option(help="When it became known (ISO 8601).")],
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Declare a milestone: items ending on it share no revenue served after it."""
    event = MilestoneEvent(
        agreement_id,
        name,
        _instant(occurred_at, option="--occurred-at"),
        _instant(recorded_at, option="--recorded-at"),
    )
    recorded = record_milestone(open_workspace(workspace).database, event)
    state = "recorded" if recorded else "already recorded, unchanged"
    typer.echo(f"milestone {name!r} of {agreement_id}: {state}")


@settlement_app.command("import-charges")
def import_charges_command(
    file: Annotated[Path, typer.Argument(help="CSV or JSON Lines of the partner's charges.")],
    workspace: WorkspaceOption = Path("."),
    import_id: Annotated[
        str | None, typer.Option(help="Names this import (the file name).")
    ] = None,
) -> None:
    """Import partner charges (the partner's invoices to us); bad rows are rejected with reasons."""
    report = import_charges(open_workspace(workspace).database, file, import_id=import_id)
    typer.echo(
        f"{report.source}: {report.submitted} submitted = {len(report.accepted)} accepted + "
        f"{len(report.rejected)} rejected"
    )
    for reject in report.rejected[:rejects_shown_max]:
        typer.echo(f"  rejected ({reject.reason.value}) {reject.message}")
    if len(report.rejected) > rejects_shown_max:
        typer.echo(f"  … {len(report.rejected) - rejects_shown_max} more rejected")


@settlement_app.command("dispute")
def dispute_command(
    dispute_id: Annotated[str, typer.Argument(help="Names the dispute.")],
    partner: Annotated[str, typer.Option(help="The partner's party id.")],
    document: Annotated[str, typer.Option(help="The invoice: the partner's id, or our bill no.")],
    line: Annotated[str, typer.Option(help="The invoice line id.")],
    amount: Annotated[str, typer.Option(help="The part disputed (tax included).")],
    raised_on: Annotated[str, typer.Option(help="YYYY-MM-DD.")],
    side: Annotated[Side, typer.Option(help="payable: their invoice; receivable: ours.")] = (
        Side.PAYABLE
    ),
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Dispute part of an invoice line: it is withheld from netting until resolved."""
    raised = raise_dispute(
        open_workspace(workspace).database,
        dispute_id,
        DisputedLine(partner, side, document, line),
        amount=_decimal(amount, option="--amount"),
        raised_on=_day(raised_on, option="--raised-on"),
    )
    state = "raised" if raised else "already raised, unchanged"
    typer.echo(f"dispute {dispute_id} on {side.value} {document}/{line}: {state}")


@settlement_app.command("resolve")
def resolve_command(
    dispute_id: Annotated[str, typer.Argument(help="The dispute to resolve.")],
    accepted: Annotated[str, typer.Option(help="Of the disputed amount, the part that stands.")],
    resolved_on: Annotated[str, typer.Option(help="YYYY-MM-DD; released in its period.")],
    note: Annotated[str, typer.Option(help="Why, for the statement.")] = "",
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Resolve a dispute; the accepted part is netted in the period of the resolution date."""
    resolved = resolve_dispute(
        open_workspace(workspace).database,
        dispute_id,
        accepted=_decimal(accepted, option="--accepted"),
        resolved_on=_day(resolved_on, option="--resolved-on"),
        note=note,
    )
    assert resolved.resolution is not None
    typer.echo(
        f"dispute {dispute_id}: resolved {resolved.resolution.resolved_on}, "
        f"{resolved.resolution.accepted_amount} of {resolved.amount} "
        f"{resolved.currency.code} accepted"
    )


@settlement_app.command("run")
def run_command(
    agreement: AgreementOption,
    period: PeriodOption,
    basis: Annotated[AccountingBasis, typer.Option(help="When revenue counts.")] = (
        AccountingBasis.ACCRUAL
    ),
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Settle a revenue-share period from the workspace's issued bills, store and print it."""
    run = settle_period(
        open_workspace(workspace).database,
        agreement_id=agreement,
        period=month_period(period),
        accounting_basis=basis,
    )
    typer.echo(render_statement_text(run.statement), nl=False)
    if basis is AccountingBasis.CASH:
        typer.echo("note: tollway records no payments yet, so under the cash basis no line is paid")
    state = "stored" if run.stored_now else "already settled: the stored statement is unchanged"
    typer.echo(f"{run.statement.number}: {state}")


@settlement_app.command("net")
def net_command(
    agreement: AgreementOption, period: PeriodOption, workspace: WorkspaceOption = Path(".")
) -> None:
    """Net a period of a reciprocal agreement (our invoices against the partner's), store it."""
    run = net_period(
        open_workspace(workspace).database, agreement_id=agreement, period=month_period(period)
    )
    typer.echo(render_netting_text(run.statement), nl=False)
    state = "stored" if run.stored_now else "already netted: the stored statement is unchanged"
    typer.echo(f"netting {agreement} {period}: {state}")


@settlement_app.command("statement")
def statement_command(
    agreement: AgreementOption,
    period: PeriodOption,
    statement_format: Annotated[
        StatementFormat, typer.Option("--format", help="text, csv, json or tmf737.")
    ] = StatementFormat.TEXT,
    out: Annotated[Path | None, typer.Option(help="File to write; standard output if absent.")] = (
        None
    ),
    netting: Annotated[bool, typer.Option(help="The netting statement of the period.")] = False,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Print (or write) a stored statement: revenue share, or netting with --netting."""
    shares, netted = stored_statements(
        open_workspace(workspace).database,
        agreement_id=agreement,
        period_start=month_period(period).start,
    )
    chosen = netted if netting else shares
    if chosen is None:
        kind = "netting" if netting else "revenue-share"
        hint = " (a netting statement is: add --netting)" if shares is None and netted else ""
        raise SettlementCommandError(
            f"no stored {kind} statement of {agreement} for {period}{hint}; settle it with "
            f"`tollway settlement {'net' if netting else 'run'}`"
        )
    text = _rendered(chosen, statement_format)
    if out is None:
        typer.echo(text, nl=False)
        return
    _write(out, text)
    typer.echo(f"wrote the {statement_format.value} statement to {out}")


def _write(out: Path, text: str) -> None:
    """Write `--out`; a folder that does not exist, or a file that cannot be written, is a plain
    error (the folder is not made: a mistyped path should not leave folders behind)."""
    if not out.parent.is_dir():
        raise SettlementCommandError(f"--out {out}: the folder {out.parent} does not exist")
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as error:
        raise SettlementCommandError(f"--out {out}: cannot write it: {error.strerror}") from None


def _rendered(statement: SettlementStatement | NettingStatement, chosen: StatementFormat) -> str:
    if isinstance(statement, NettingStatement):
        if chosen is StatementFormat.TMF737:
            raise SettlementCommandError("a netting statement has no TMF737 form; use text")
        netting_renderers = {
            StatementFormat.TEXT: render_netting_text,
            StatementFormat.CSV: render_netting_csv,
            StatementFormat.JSON: render_netting_json,
        }
        return netting_renderers[chosen](statement)
    renderers = {
        StatementFormat.TEXT: render_statement_text,
        StatementFormat.CSV: render_statement_csv,
        StatementFormat.JSON: render_statement_json,
        StatementFormat.TMF737: render_tmf737_report,
    }
    return renderers[chosen](statement)


@settlement_app.command("account")
def account_command(
    partner_id: Annotated[str, typer.Argument(help="The partner's party id.")],
    workspace: WorkspaceOption = Path("."),
) -> None:
    """A partner's settlement accounts: every statement posted, with the running balance."""
    entries = account_history(open_workspace(workspace).database, partner_id)
    typer.echo(render_account_text(partner_id, entries), nl=False)


def settlement_demo(directory: Path) -> str:
    """Run the two deals of issue 7 in a fresh workspace at `directory` (a new or empty folder)
    and return the text to print."""
    if directory.exists() and any(directory.iterdir()):
        raise SettlementCommandError(f"{directory} is not empty; the demo needs a fresh folder")
    workspace = create_workspace(directory)
    database = workspace.database
    try:
        return run_settlement_demo(database)
    finally:
        database.dispose()


@settlement_app.command("demo")
def demo_command(
    directory: Annotated[
        Path, typer.Option(help="Folder for the demo workspace (made by this command).")
    ] = Path("tollway-settlement-demo"),
) -> None:
    """Run the reciprocal deal and the 20 %-until-milestone share through a fresh workspace."""
    if directory.exists():
        if not (directory / DEMO_MARKER).exists():
            raise SettlementCommandError(
                f"{directory} exists and was not made by `tollway settlement demo`; "
                "choose --directory"
            )
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    (directory / DEMO_MARKER).write_text("made by tollway settlement demo; safe to delete\n")
    typer.echo(settlement_demo(directory / "workspace"), nl=False)
    typer.echo(f"workspace kept at {directory / 'workspace'} (try `tollway settlement account`)")
