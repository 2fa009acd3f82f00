"""The ``slo-scout`` command: one typer app, one module per command."""

from __future__ import annotations

import typer

from slo_scout import __version__
from slo_scout.cli.analyze import analyze_command
from slo_scout.cli.backtest import backtest_command
from slo_scout.cli.collect import collect_command
from slo_scout.cli.deliver import deliver_command
from slo_scout.cli.demo import demo_command
from slo_scout.cli.generate import generate_command
from slo_scout.cli.keys import keys_app
from slo_scout.cli.migrate import migrate_command
from slo_scout.cli.pipeline import pipeline_command
from slo_scout.cli.rca import rca_app
from slo_scout.cli.serve import serve_command
from slo_scout.cli.simulate import simulate_command
from slo_scout.cli.validate import validate_command
from slo_scout.cli.worker import worker_command

app = typer.Typer(
    name="slo-scout",
    help="Discover user journeys in traces and turn them into SLOs, rules and dashboards.\n\n"
    "Start with `slo-scout demo --out demo-out`, then `slo-scout analyze YOUR-TRACES --out DIR`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"slo-scout {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Discover user journeys in traces and turn them into SLOs, rules and dashboards."""


app.command("simulate")(simulate_command)
app.command("analyze")(analyze_command)
app.command("demo")(demo_command)
app.command("generate")(generate_command)
app.command("validate")(validate_command)
app.command("deliver")(deliver_command)
app.command("serve")(serve_command)
app.command("migrate")(migrate_command)
app.command("worker")(worker_command)
app.command("collect")(collect_command)
app.command("pipeline")(pipeline_command)
app.command("backtest")(backtest_command)
app.add_typer(keys_app, name="keys")
app.add_typer(rca_app, name="rca")

if __name__ == "__main__":
    app()
