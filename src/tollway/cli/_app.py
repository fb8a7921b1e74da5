"""The typer application and the error boundary every command runs inside."""

import decimal
import sys

import typer
from rich.console import Console

from tollway.money import TollwayError

app = typer.Typer(
    name="tollway",
    help="Billing and revenue management for enterprise telecom: exact money, reproducible bill runs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
error_console = Console(stderr=True, soft_wrap=True)
exit_code_user_error = 2


def _register_commands() -> None:
    # Imported for their side effect of adding commands to `app`.
    from tollway.cli import _demo, _operations, _pricing, _rerate, _settlement, _taxes  # noqa: F401
    from tollway.cli._quotes import quotes_app
    from tollway.cli._reconcile import reconcile_app

    reconcile_app.add_typer(quotes_app, name="quotes")
    app.add_typer(reconcile_app, name="reconcile")


def main() -> None:
    """Entry point: run a command; a user mistake prints its message, never a traceback."""
    decimal.getcontext().traps[decimal.FloatOperation] = True
    _register_commands()
    try:
        app()
    except TollwayError as error:
        error_console.print(f"[bold red]error[/] [dim]({error.code})[/]: {error.message}")
        sys.exit(exit_code_user_error)
