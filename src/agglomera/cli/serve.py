"""``agglomera serve``: the web API and dashboard; ``agglomera serve token ...``: tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agglomera.errors import AgglomeraError

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[Path | None, typer.Option("--db", help="DuckDB file (default: AGGLOMERA_DB).")]


def _db(db: Path | None) -> Path:
    from agglomera.config import Settings

    path = db if db is not None else Settings().db
    if not Path(path).exists():
        raise AgglomeraError(f"database {path} does not exist; create it with "
                             f"'agglomera import FILE --db {path}' or 'agglomera demo'")
    return Path(path)


def serve_cmd(
    ctx: typer.Context,
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    read_only: Annotated[bool, typer.Option("--read-only", help="Open the database read-only: other processes may read it too; imports are refused.")] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the REST API (/api/v1, OpenAPI at /docs) and the dashboard / 启动接口与数据看板."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        import uvicorn

        from agglomera.web import create_app
    except ImportError as exc:
        from agglomera.errors import MissingDependencyError

        raise MissingDependencyError(f"agglomera serve needs the 'web' extra "
                                     f"(pip install agglomera[web]): {exc}") from None
    app = create_app(_db(db), read_only=read_only)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    out.print(f"agglomera serving {db or _db(db)} at {url}  (API docs: {url}docs; "
              f"{'read-only' if read_only else 'imports need a token'}). "
              "Press Ctrl-C to stop. / 服务地址见上，按 Ctrl-C 停止。",
              highlight=False, markup=False)
    uvicorn.run(app, host=host, port=port, log_level=log_level)


def token_create_cmd(
    name: Annotated[str, typer.Argument(help="Who or what the token is for.")],
    db: DbOption = None,
) -> None:
    """Create a token and print it once; only its SHA-256 is stored / 创建令牌."""
    from agglomera.store import open_store
    from agglomera.web.deps import create_token

    with open_store(_db(db)) as store:
        token = create_token(store, name)
    err.print(f"token {name!r} created; copy it now, it is not shown again "
              "(only its SHA-256 is stored):", highlight=False, markup=False)
    out.print(token, highlight=False, markup=False)


def token_list_cmd(db: DbOption = None) -> None:
    """List token names and scopes (never the tokens) / 列出令牌."""
    from agglomera.store import open_store
    from agglomera.web.deps import list_tokens

    with open_store(_db(db), read_only=True) as store:
        items = list_tokens(store.con)
    t = Table("name", "scopes", "created_at")
    for name, scopes, created in items:
        t.add_row(str(name), str(scopes), str(created))
    out.print(t)


def token_revoke_cmd(
    name: Annotated[str, typer.Argument(help="Name of the token to delete.")],
    db: DbOption = None,
) -> None:
    """Delete a token / 撤销令牌."""
    from agglomera.store import open_store
    from agglomera.web.deps import revoke_token

    with open_store(_db(db)) as store:
        if not revoke_token(store, name):
            raise AgglomeraError(f"no token named {name!r}; see 'agglomera serve token list'")
    out.print(f"token {name!r} revoked", highlight=False, markup=False)


def register(app: typer.Typer, friendly) -> None:
    """Add ``serve`` (with its ``token`` subcommands) to the main Typer app."""
    serve_app = typer.Typer(help="Web API and dashboard; API tokens.",
                            invoke_without_command=True, no_args_is_help=False)
    serve_app.callback()(friendly(serve_cmd))
    token_app = typer.Typer(help="API tokens: only their SHA-256 is stored.",
                            no_args_is_help=True)
    token_app.command("create")(friendly(token_create_cmd))
    token_app.command("list")(friendly(token_list_cmd))
    token_app.command("revoke")(friendly(token_revoke_cmd))
    serve_app.add_typer(token_app, name="token")
    app.add_typer(serve_app, name="serve")
