"""A subcommand as another engineer would add it to cli.SUBCOMMANDS, for the docs tests."""
import click


@click.command(help="Compare this host with the balancer.\n\nChanges nothing on the host.")
@click.option("-s", "--server", metavar="FQDN", help="The balancer to compare with.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="How to print the findings.")
@click.option("--save", type=click.Path(dir_okay=False), help="Also write the findings here.")
@click.option("--into", type=click.Path(file_okay=False), help="Directory for a support bundle.")
@click.option("--color/--no-color", default=True, help="Colour the findings.")
@click.argument("logs", nargs=-1, type=click.Path())
def command(server, output_format, save, into, color, logs):
    click.echo("compared %s" % server)
