"""`python -m tollway` runs the command line."""

from tollway.cli import main

main()
