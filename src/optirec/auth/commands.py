"""`optirec admin create`, `optirec keys create|list|revoke` and `optirec secret generate`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from optirec.audit import service as audit
from optirec.auth import service
from optirec.console import console, load_settings, open_database
from optirec.errors import OptirecError

admin_app = typer.Typer(help="Administrator accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for the shop's servers.", no_args_is_help=True)
secret_app = typer.Typer(help="The key that signs access tokens.", no_args_is_help=True)


@secret_app.command("generate")
def generate_secret() -> None:
    """Print a new signing secret for OPTIREC_SECRET_KEY (give every replica the same one); nothing is stored."""
    from optirec.auth.security import new_secret

    typer.echo(new_secret())


@admin_app.command("create")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True, help="The administrator's e-mail address.")],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="10 characters at least.")
    ],
) -> None:
    """Create an administrator account (signs in with POST /api/auth/token)."""
    from pydantic import ValidationError

    from optirec.auth.schemas import RegisterRequest
    from optirec.tabular import validation_reason

    try:
        RegisterRequest(email=email, password=password)  # the same rules as a customer's registration
    except ValidationError as error:  # said without the input, which may be the password
        console.print(f"[red]{validation_reason(error)}[/red]")
        raise typer.Exit(2) from None
    db = open_database(load_settings())
    try:
        with db.write() as session:
            customer = service.register_customer(session=session, email=email, password=password, role="admin")
    except OptirecError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from None
    console.print(f"administrator {customer.email} created (id {customer.id})")


@keys_app.command("create")
def create_key(
    name: Annotated[str, typer.Argument(help="What the key is for, e.g. 'storefront'.")],
    role: Annotated[str, typer.Option(help="service or admin.")] = "service",
) -> None:
    """Create an API key; the secret is printed this once."""
    if role not in ("service", "admin"):
        console.print("[red]--role must be service or admin[/red]")
        raise typer.Exit(2)
    db = open_database(load_settings())
    with db.write() as session:
        api_key, secret = service.create_api_key(session=session, name=name, role=role)  # type: ignore[arg-type]
        audit.record(session=session, actor=audit.command_line_actor(), action=audit.KEY_CREATE, target=api_key.id,
                     detail={"name": api_key.name, "role": api_key.role})  # fmt: skip
    console.print(f"key {api_key.id} ({role}) created; store it now, it will not be shown again:")
    typer.echo(secret)


@keys_app.command("list")
def list_keys() -> None:
    """List API keys (never their secrets)."""
    db = open_database(load_settings())
    table = Table("id", "name", "role", "created", "revoked")
    with db.read() as session:
        for key in service.list_api_keys(session=session):
            revoked = key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else ""
            table.add_row(key.id, key.name, key.role, key.created_at.isoformat(timespec="seconds"), revoked)
    console.print(table)


@keys_app.command("revoke")
def revoke_key(key_id: Annotated[str, typer.Argument(help="The key's id (see keys list).")]) -> None:
    """Revoke an API key: it stops working at once."""
    db = open_database(load_settings())
    try:
        with db.write() as session:
            revoked = service.revoke_api_key(session=session, key_id=key_id)
            audit.record(session=session, actor=audit.command_line_actor(), action=audit.KEY_REVOKE, target=revoked.id,
                         detail={"name": revoked.name, "role": revoked.role})  # fmt: skip
    except OptirecError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from None
    console.print(f"key {key_id} revoked")


def register(app: typer.Typer) -> None:
    app.add_typer(admin_app, name="admin")
    app.add_typer(keys_app, name="keys")
    app.add_typer(secret_app, name="secret")
