"""Demo data: a believable hotel (to be written)."""
import click


@click.command("demo")
def demo_command() -> None:
    """Load demo data."""
