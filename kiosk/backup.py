"""Consistent backup of a live database (to be written)."""
import click


@click.command("backup")
@click.argument("dest")
def backup_command(dest: str) -> None:
    """Back up the database to DEST."""
