"""The `tollway` command line: typer commands, rich output, no stack traces for user mistakes.

Owns: argument parsing, progress bars, and turning a `TollwayError` into a one-line message and
exit code 2. Business logic lives in the packages it calls.
"""

from tollway.cli._app import app, main

__all__ = ["app", "main"]
