"""The `mixflow` console script: one entrypoint, one sub-command group per area.

Each area lives in its own module and exposes a `typer.Typer` (or a plain command function);
this module only assembles them. Settings are built once here and passed down.
"""

import typer

from services.cli import (
    anonymise_cmd,
    bench_cmd,
    config_cmd,
    contracts_bench_cmd,
    contracts_cmd,
    db_cmd,
    db_migrate_cmd,
    kafka_cmd,
    rules_cmd,
    serve_cmd,
    stack_cmd,
    synthetic_cmd,
    topics_cmd,
)

app = typer.Typer(
    name="mixflow",
    help="Mixed-flow referral of migrants and refugees to GCM and GCR pathways, on Apache Kafka.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
)

app.command("up")(stack_cmd.stack_up)
app.command("down")(stack_cmd.stack_down)
app.command("status")(stack_cmd.stack_status)
app.command("demo")(stack_cmd.run_demo)
app.command("config")(config_cmd.show_config)
app.add_typer(kafka_cmd.app, name="kafka")
app.add_typer(db_cmd.app, name="db")
db_cmd.app.command("migrate")(db_migrate_cmd.migrate)
app.add_typer(serve_cmd.app, name="serve")
app.add_typer(topics_cmd.app, name="topics")
app.add_typer(rules_cmd.app, name="rules")
app.command("route")(rules_cmd.route)
app.add_typer(bench_cmd.app, name="bench")
bench_cmd.app.command("engine")(rules_cmd.bench_engine)
app.add_typer(contracts_cmd.app, name="schemas")
app.command("validate")(contracts_cmd.validate)
app.command("generate")(synthetic_cmd.generate_events)
app.command("anonymise")(anonymise_cmd.anonymise)
bench_cmd.app.command("contracts")(contracts_bench_cmd.contracts)
# Further areas register here, one line each.


def main() -> None:
    app()
