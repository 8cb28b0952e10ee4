"""`python -m services.cli` runs the `mixflow` console script."""

from services.cli import main

main()
