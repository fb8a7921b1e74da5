"""`tollway price` and `tollway profiles`: price a quantity under a price file and see the breakdown."""

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tollway.cli._app import app
from tollway.conventions import PROFILE_NAMES, profile
from tollway.io import load_price_file
from tollway.money import TollwayError, format_money, to_decimal
from tollway.pricing import PriceDefinition, PriceResult, price

console = Console()


class PriceNotFoundError(TollwayError):
    code = "unknown_price"


def _pick(definitions: tuple[PriceDefinition, ...], price_id: str | None) -> PriceDefinition:
    if price_id is None:
        if len(definitions) == 1:
            return definitions[0]
        ids = ", ".join(definition.id for definition in definitions)
        raise PriceNotFoundError(
            f"the file holds several prices; choose one with --price-id ({ids})"
        )
    for definition in definitions:
        if definition.id == price_id:
            return definition
    raise PriceNotFoundError(f"no price {price_id!r} in the file")


def _result_document(definition: PriceDefinition, result: PriceResult) -> dict[str, object]:
    return {
        "price_id": definition.id,
        "currency": result.currency.code,
        "quantity": str(result.quantity),
        "precise_amount": str(result.precise_amount),
        "amount": str(result.amount.amount),
        "rounding_points": result.rounding_points,
        "lines": [
            {
                "kind": line.kind,
                "description": line.description,
                "quantity": str(line.quantity),
                "unit_price": None if line.unit_price is None else str(line.unit_price),
                "amount": str(line.amount),
            }
            for line in result.lines
        ],
    }


def _print_result(definition: PriceDefinition, result: PriceResult) -> None:
    table = Table(title=f"{definition.id}: {result.quantity} {definition.unit or 'units'}")
    for column in ("step", "quantity", "unit price", "amount"):
        table.add_column(column, justify="left" if column == "step" else "right")
    for line in result.lines:
        unit_price = "" if line.unit_price is None else str(line.unit_price)
        table.add_row(line.description, str(line.quantity), unit_price, str(line.amount))
    table.add_section()
    table.add_row("precise total", "", "", str(result.precise_amount))
    # Under the per-invoice stage a single price stays unrounded: show it exactly, not rounded.
    shown = format_money(result.amount) if result.amount.is_rounded else str(result.amount)
    table.add_row("[bold]amount[/]", "", "", f"[bold]{shown}[/]")
    console.print(table)


@app.command("price")
def price_command(
    price_file: Annotated[Path, typer.Argument(help="A .yaml or .json price definition file.")],
    quantity: Annotated[str, typer.Argument(help="The quantity to price, e.g. 1250.5")],
    price_id: Annotated[
        str | None, typer.Option(help="Which price, if the file has several.")
    ] = None,
    profile_name: Annotated[
        str, typer.Option("--profile", help=f"Conventions: {', '.join(PROFILE_NAMES)}.")
    ] = "tollway",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Price a quantity under a price definition and show the breakdown."""
    definition = _pick(load_price_file(price_file), price_id)
    amount: Decimal = to_decimal(quantity, field="quantity")
    result = price(definition, amount, conventions=profile(profile_name))
    if as_json:
        typer.echo(json.dumps(_result_document(definition, result), indent=2))
    else:
        _print_result(definition, result)


@app.command("profiles")
def profiles_command() -> None:
    """Show every compatibility profile and the conventions it sets."""
    profiles = [profile(name) for name in PROFILE_NAMES]
    table = Table(title="Compatibility profiles")
    table.add_column("option")
    for found in profiles:
        table.add_column(found.name)
    for option in type(profiles[0]).__dataclass_fields__:
        if option == "name":
            continue
        table.add_row(option, *(str(getattr(found, option)) for found in profiles))
    console.print(table)
