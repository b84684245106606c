from readouts.cli import cli

cli()
