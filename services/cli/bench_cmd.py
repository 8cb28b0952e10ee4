"""`mixflow bench ...`: benchmarks of the hot paths; each area adds its command to `app`."""

import typer

app = typer.Typer(
    help="Benchmark the hot paths and write results under bench/results/.", no_args_is_help=True
)
