"""`tradewind serve` (the API) and `tradewind token …` (personal API tokens)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from tradewind.entrypoints.cli.errors import user_errors

token_app = typer.Typer(help="Create, list and revoke personal API tokens.", no_args_is_help=True)
Opt = typer.Option


def serve(
    host: Annotated[str, Opt(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, Opt(min=0, max=65_535, help="The port to listen on.")] = 8000,
    workers: Annotated[int, Opt(min=1, max=64, help="Processes (each opens the store).")] = 1,
) -> None:
    """Serve the JSON API under /api/v1 (its OpenAPI document at /api/v1/openapi.json).

    Stateless: sessions, tokens and sign-in limits live in the database, so several
    processes or machines can serve one PostgreSQL database behind a load balancer.
    """
    err = Console(stderr=True)
    with user_errors(err):
        import uvicorn

        from tradewind.bootstrap.settings import load_settings
        from tradewind.bootstrap.store import Store

        Store.open(load_settings()).close()  # a bad database or key fails here, plainly
        err.print(f"serving the API on http://{host}:{port}/api/v1 (Ctrl-C stops)")
        uvicorn.run(
            "tradewind.entrypoints.api.main:app",
            host=host,
            port=port,
            workers=workers,
            factory=True,
            proxy_headers=True,
            log_level="info",
        )


@token_app.command("create")
def token_create(
    user: Annotated[str, Opt("--user", metavar="EMAIL", help="Whose token.")],
    name: Annotated[str, Opt(help="What the token is for.")],
    scope: Annotated[
        list[str], Opt(metavar="read|trade", help="read: look; trade: change. Repeatable.")
    ],
    days: Annotated[int, Opt(help="Days until it expires.")] = 90,
) -> None:
    """Create a token; its secret is printed this once and never stored."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.bootstrap.store import open_store
        from tradewind.domain.errors import ConfigurationError
        from tradewind.domain.identity import TokenScope
        from tradewind.entrypoints.cli.resolve import Resolver
        from tradewind.services.identity import create_token

        try:
            scopes = frozenset(TokenScope(s.strip().lower()) for s in scope)
        except ValueError:
            raise ConfigurationError(f"scope: must be read or trade (got {scope})") from None
        with open_store() as store:
            actor, owner = Resolver(store).as_user(user)
            created = create_token(
                store.identity_uow, store.clock, actor, owner_id=owner.id, name=name,
                scopes=scopes, days=days, max_days=store.settings.token_max_days,
            )  # fmt: skip
        err.print(
            f"token {created.token.id} {created.token.name!r} for {owner.email}, "
            f"scopes {', '.join(sorted(scopes))}; copy it now, it is not shown again:"
        )
        out.print(created.secret, highlight=False, soft_wrap=True)


@token_app.command("list")
def token_list(user: Annotated[str, Opt("--user", metavar="EMAIL", help="Whose tokens.")]) -> None:
    """List a user's tokens (never their secrets)."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.bootstrap.store import open_store
        from tradewind.entrypoints.cli.resolve import Resolver
        from tradewind.services.identity import list_tokens

        with open_store() as store:
            actor, owner = Resolver(store).as_user(user)
            tokens = list_tokens(store.identity_uow, actor, owner.id)
            now = store.clock.now()
        for t in tokens:
            state = "revoked" if t.revoked_at else ("expired" if now >= t.expires_at else "active")
            out.print(
                f"{t.id}  {t.name}  {t.prefix}…  {','.join(sorted(t.scopes))}  {state}",
                highlight=False,
            )
        if not tokens:
            out.print("no tokens: create one with `tradewind token create`")


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="The token's id.")]) -> None:
    """Revoke a token at once."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.bootstrap.store import open_store
        from tradewind.entrypoints.cli.resolve import OPERATOR
        from tradewind.services.identity import revoke_token

        with open_store() as store:
            token = revoke_token(store.identity_uow, store.clock, OPERATOR, token_id)
        out.print(f"revoked token {token.id} {token.name!r}")
