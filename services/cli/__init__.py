"""The `mixflow` console script: one entrypoint, one sub-command group per area.

Each area lives in its own module and exposes a `typer.Typer` (or a plain command function);
this module only assembles them. Settings are built once here and passed down.
"""

import typer

from services.cli import (
    anonymise_cmd,
    bench_cmd,
    bench_e2e_cmd,
    casework_cmd,
    config_cmd,
    contracts_bench_cmd,
    contracts_cmd,
    db_cmd,
    db_migrate_cmd,
    deadletter_cmd,
    flows_cmd,
    ingest_cmd,
    kafka_cmd,
    publish_cmd,
    rules_admin_cmd,
    rules_cmd,
    serve_cmd,
    stack_cmd,
    synthetic_cmd,
    tokens_cmd,
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
app.command("init")(stack_cmd.stack_init)
health = typer.Typer(help="Health checks for containers and probes.", no_args_is_help=True)
health.command("group")(stack_cmd.health_group)
health.command("url")(stack_cmd.health_url)
app.add_typer(health, name="health")
app.command("config")(config_cmd.show_config)
app.add_typer(kafka_cmd.app, name="kafka")
app.add_typer(db_cmd.app, name="db")
db_cmd.app.command("migrate")(db_migrate_cmd.migrate)
app.add_typer(serve_cmd.app, name="serve")
serve_cmd.app.command("casework")(casework_cmd.serve_casework)
serve_cmd.app.command("cases-api")(casework_cmd.serve_cases_api)
serve_cmd.app.command("flows")(flows_cmd.serve_flows)
serve_cmd.app.command("flows-api")(flows_cmd.serve_flows_api)
app.add_typer(topics_cmd.app, name="topics")
app.add_typer(rules_cmd.app, name="rules")
rules_admin_cmd.register(rules_cmd.app)
serve_cmd.app.command("rules-api")(rules_admin_cmd.serve_rules_api)
app.command("route")(rules_cmd.route)
app.add_typer(bench_cmd.app, name="bench")
bench_cmd.app.command("engine")(rules_cmd.bench_engine)
app.add_typer(contracts_cmd.app, name="schemas")
app.command("validate")(contracts_cmd.validate)
app.command("generate")(synthetic_cmd.generate_events)
app.command("anonymise")(anonymise_cmd.anonymise)
bench_cmd.app.command("contracts")(contracts_bench_cmd.contracts)
serve_cmd.app.command("ingest")(ingest_cmd.serve_ingest)
app.add_typer(tokens_cmd.app, name="tokens")
app.command("publish")(publish_cmd.publish)
app.add_typer(deadletter_cmd.app, name="deadletter")
bench_cmd.app.command("e2e")(bench_e2e_cmd.bench_e2e)
# Further areas register here, one line each.


def main() -> None:
    app()
