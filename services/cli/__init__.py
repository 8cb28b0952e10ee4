"""The `mixflow` console script: one entrypoint, one sub-command group per area.

Each area lives in its own module and exposes a `typer.Typer` (or a plain command function);
this module only assembles them. Settings are built once here and passed down.
"""

import typer

from services.cli import config_cmd, db_cmd, kafka_cmd

app = typer.Typer(
    name="mixflow",
    help="Mixed-flow referral of migrants and refugees to GCM and GCR pathways, on Apache Kafka.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
)

app.command("config")(config_cmd.show_config)
app.add_typer(kafka_cmd.app, name="kafka")
app.add_typer(db_cmd.app, name="db")
# Further areas register here, one line each.


def main() -> None:
    app()
