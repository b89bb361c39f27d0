"""`python -m stpbot` is the same as the `stpbot` command."""

from stpbot.cli import main

main()
