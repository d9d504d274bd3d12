"""The `optirec` command line. Each domain registers its own commands; this module only assembles them."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="optirec",
    help="optirec: personalized recommendations for shops whose products must fit the customer.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _register_all() -> None:
    # Each module adds its commands with `register(app)`; heavy imports stay inside the commands.
    from optirec.ml import commands as ml_commands

    ml_commands.register(app)


_register_all()
