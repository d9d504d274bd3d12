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
    from optirec.auth import commands as auth_commands
    from optirec.catalog import commands as catalog_commands
    from optirec.customers import commands as customer_commands
    from optirec.demo import commands as demo_commands
    from optirec.ml.evaluation import commands as evaluation_commands
    from optirec.recommend import commands as recommend_commands
    from optirec.runtime import commands
    from optirec.signals import commands as signal_commands
    from optirec.training import commands as training_commands

    modules = (commands, auth_commands, catalog_commands, customer_commands, signal_commands, training_commands)
    for module in (*modules, recommend_commands):
        module.register(app)

    evaluation_commands.register(app)
    demo_commands.register(app)


_register_all()

if __name__ == "__main__":
    app()
