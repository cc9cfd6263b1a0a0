"""`flask bounces parse FILE` (reads, changes nothing) and `flask bounces ingest FILE` (applies)."""
import json
from dataclasses import asdict

import click
from flask.cli import AppGroup

from webapp.bounces import reconcile

bounces_command = AppGroup("bounces", help="Read bounce reports, complaints and mailto unsubscribes by hand.")


@bounces_command.command("parse")
@click.argument("path", type=click.File("rb"))
def parse_command(path):
    """Print what the message in PATH says, as JSON; nothing is changed."""
    click.echo(json.dumps(reconcile.read(path.read()).summary()))


@bounces_command.command("ingest")
@click.argument("path", type=click.File("rb"))
def ingest_command(path):
    """Apply the message in PATH as the bounce mailbox poller would; print the report and what was stored."""
    applied = reconcile.apply(path.read())
    summary = applied.report.summary()
    summary.update({name: value for name, value in asdict(applied).items() if name != "report"})
    click.echo(json.dumps(summary))
