"""The ``studio`` command line (typer + rich). Thin: it builds settings and calls the studio runtime."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import sys
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography.fernet import Fernet
from rich.console import Console
from rich.panel import Panel
from sqlalchemy.engine import make_url
from sqlmodel import select

from agent.core import repo
from agent.core.db import make_engine, session_scope
from agent.core.errors import StudioError
from agent.core.migrate import current_revision, ensure_schema, upgrade
from agent.core.models import User
from agent.core.security import CredentialBox
from agent.core.settings import Settings, load_settings
from agent.runtime.studio import Studio
from agent.runtime.worker import run_worker
from agent.services.accounts import connect
from agent.services.memory import open_checkpointer
from tools import SENSITIVE_TOOLS

app = typer.Typer(
    help="Content Studio: ready-to-post social media content from your raw material.", no_args_is_help=True
)
user_app = typer.Typer(help="Manage studio users.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(db_app, name="db")
account_app = typer.Typer(help="Publishing accounts (Mastodon, Bluesky, webhooks).", no_args_is_help=True)
app.add_typer(account_app, name="account")

console = Console()
err = Console(stderr=True)

DEFAULT_OWNER = "owner@studio.local"


def _settings() -> Settings:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        return load_settings()
    except StudioError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


def _fail(exc: Exception) -> None:
    err.print(f"[red]Error:[/red] {exc}")
    raise typer.Exit(1)


def _engine(settings: Settings) -> Any:

    settings.ensure_data_dir()
    engine = make_engine(settings.sqlalchemy_url)
    ensure_schema(engine)
    return engine


# -- run ---------------------------------------------------------------------------------------------


@app.command()
def run(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default from STUDIO_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from STUDIO_PORT, 8000).")] = None,
) -> None:
    """Start the web studio (Chainlit) on the embedded defaults."""

    settings = _settings()
    engine = _engine(settings)
    with session_scope(engine) as session:
        first = repo.count_users(session) == 0
        password = None
        if first:
            password = secrets.token_urlsafe(12)
            repo.create_user(session, email=DEFAULT_OWNER, password=password, display_name="Owner")
    url = f"http://{host or settings.host}:{port or settings.port}"
    console.print(Panel.fit(f"Content Studio is starting on [bold]{url}[/bold]", title="studio"))
    if password:
        path = settings.data_dir / "initial-login.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(f"email: {DEFAULT_OWNER}\npassword: {password}\n")
        console.print(
            f"Log in as [bold]{DEFAULT_OWNER}[/bold] with password [bold]{password}[/bold] "
            f"(also saved in {path}; change it with `studio user passwd {DEFAULT_OWNER}`)."
        )
    else:
        console.print("Log in with your studio e-mail and password (add users with `studio user add EMAIL`).")
    engine.dispose()
    # Each long-running command imports only its own server: `studio ask` need not load Chainlit's or Bolt's.
    from ui.web.server import serve  # noqa: PLC0415

    serve(settings, host=host or settings.host, port=port or settings.port)


# -- users -------------------------------------------------------------------------------------------


def _read_password(password_stdin: bool, confirm: bool = True) -> tuple[str, bool]:
    """(password, generated?)"""
    if password_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    if sys.stdin.isatty():
        return typer.prompt("Password", hide_input=True, confirmation_prompt=confirm), False
    return secrets.token_urlsafe(12), True


@user_app.command("add")
def user_add(
    email: str,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
) -> None:
    """Add a user who can log in to the web studio."""
    settings = _settings()
    password, generated = _read_password(password_stdin)
    try:
        with session_scope(_engine(settings)) as session:
            user = repo.create_user(session, email=email, password=password, display_name=name)
    except StudioError as exc:
        _fail(exc)
    console.print(f"Added {user.email}.")
    if generated:
        console.print(f"Generated password: [bold]{password}[/bold]")


@user_app.command("passwd")
def user_passwd(
    email: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
) -> None:
    """Set a user's password."""
    settings = _settings()
    password, generated = _read_password(password_stdin)
    try:
        with session_scope(_engine(settings)) as session:
            user = repo.find_user_by_email(session, email=email)
            if user is None:
                raise StudioError(f"No user {email}.")
            repo.set_password(session, user_id=user.id, password=password)
    except StudioError as exc:
        _fail(exc)
    console.print(
        f"Password changed for {email}." + (f" New password: [bold]{password}[/bold]" if generated else "")
    )


@user_app.command("list")
def user_list() -> None:
    """List users."""

    with session_scope(_engine(_settings())) as session:
        for user in session.exec(select(User).order_by(User.email)):
            console.print(f"{user.email}\t{user.display_name}\t{'active' if user.is_active else 'disabled'}")


# -- database ----------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema to the latest migration (and the conversation checkpointer's tables)."""

    settings = _settings()
    settings.ensure_data_dir()
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)

    async def _setup() -> None:
        async with open_checkpointer(settings):
            pass

    asyncio.run(_setup())
    console.print(
        f"Database is at revision {current_revision(engine)} ({_redacted(settings.sqlalchemy_url)})."
    )
    engine.dispose()


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision of the database."""

    settings = _settings()
    settings.ensure_data_dir()
    console.print(str(current_revision(make_engine(settings.sqlalchemy_url))))


def _redacted(url: str) -> str:

    return make_url(url).render_as_string(hide_password=True)


# -- ask ---------------------------------------------------------------------------------------------


def _read_files(files: list[Path]) -> list[Path]:
    """The files to attach; what they are (image, audio, video, text) is found out by ingest, by content."""
    for path in files:
        if not path.is_file():
            raise StudioError(f"{path}: no such file.")
    return files


@app.command()
def ask(
    request: Annotated[str | None, typer.Argument(help="What you want, in your words.")] = None,
    file: Annotated[
        list[Path] | None, typer.Option("--file", "-f", help="Material to use (repeatable).")
    ] = None,
    platform: Annotated[
        list[str] | None, typer.Option("--platform", "-p", help="Target platform (repeatable).")
    ] = None,
    user: Annotated[str, typer.Option(help="Whose studio (e-mail); created on first use.")] = DEFAULT_OWNER,
    thread: Annotated[str | None, typer.Option(help="Continue this conversation.")] = None,
    approve: Annotated[
        bool | None, typer.Option("--approve/--decline", help="Answer a pending approval.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """One agent turn from the terminal."""
    settings = _settings()
    try:
        result = asyncio.run(
            _ask(settings, request, file or [], platform or [], user, thread, approve, as_json)
        )
    except StudioError as exc:
        if as_json:
            print(json.dumps({"error": str(exc)}))
            raise typer.Exit(1) from None
        _fail(exc)
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        _print_result(result)
    if result.get("error"):
        raise typer.Exit(1)


async def _ask(
    settings: Settings,
    request: str | None,
    files: list[Path],
    platforms: list[str],
    email: str,
    thread: str | None,
    approve: bool | None,
    as_json: bool,
) -> dict[str, Any]:

    text = request or ""
    attachments = _read_files(files)
    if not text and not attachments and not (thread and approve is not None):
        raise StudioError(
            'Tell me what you want, e.g. studio ask "write an Instagram caption about our oat latte".'
        )
    # a one-shot command publishes nothing, and writes with a running studio's local model when there is one
    async with Studio.open(settings, timer=False, reuse_local_model=True) as studio:
        with session_scope(studio.services.engine) as session:
            owner = repo.get_or_create_identity_user(
                session, channel="cli", external_id=repo.normalize_email(email), email=email
            )
            user_id = owner.id
        thread_id = thread or f"cli-{uuid.uuid4().hex}"
        outcomes = _Outcomes()
        if text or attachments:
            result = await studio.run_turn(
                user_id=user_id,
                thread_id=thread_id,
                text=text,
                platforms=platforms,
                channel="cli",
                attachments=attachments,
                on_event=outcomes,
            )
        else:
            result = await studio.result(thread_id=thread_id, user_id=user_id)
            if not result.approval and approve is not None:
                raise StudioError("There is nothing waiting for your approval in this conversation.")
        if result.approval:
            decision = approve
            if decision is None and not as_json and sys.stdin.isatty():
                console.print(result.reply)
                decision = typer.confirm("Approve?", default=False)
            if decision is not None:
                outcomes = _Outcomes()
                result = await studio.run_turn(
                    user_id=user_id,
                    thread_id=thread_id,
                    resume={"approved": decision},
                    channel="cli",
                    on_event=outcomes,
                )
        return outcomes.apply(result.public())


# The tools that act (approve, schedule, publish, move or cancel a post): one that is refused is an error of
# the command. A content tool that cannot do its part (no model to translate) answers in words instead.
ACTING_TOOLS = SENSITIVE_TOOLS | {"reschedule_post", "cancel_post"}


class _Outcomes:
    """The tool results of a turn as they happen (``on_event``), to tell a refusal from a success.

    A turn that asked to act and was refused — a schedule for a time that has passed, an unknown draft or
    account, refused before the approval question or after it — with nothing else done, is an error of the
    command: ``error`` holds why (the refused calls leave ``tools``) and the exit code is 1. A turn with any
    success, or waiting for an approval, or declined by the user, is not."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []  # (tool, message) of the acting tools refused
        self.succeeded = False

    async def __call__(self, event: dict[str, Any]) -> None:
        if event.get("type") != "tool_end":
            return
        artifact = event.get("artifact")
        kind = artifact.get("type") if isinstance(artifact, dict) else None
        name = str(event.get("name") or "")
        if kind == "error" and name in ACTING_TOOLS:
            assert isinstance(artifact, dict)
            self.errors.append((name, str(artifact.get("message") or "")))
        elif kind not in ("error", "declined"):
            self.succeeded = True

    def apply(self, result: dict[str, Any]) -> dict[str, Any]:
        if not self.errors or self.succeeded or result.get("approval"):
            return result
        tools = list(result.get("tools") or [])
        for name, _ in self.errors:
            if name in tools:
                tools.remove(name)
        messages = list(dict.fromkeys(message for _, message in self.errors if message))
        error = " ".join(messages) or result.get("reply") or "The request could not be done."
        return {"error": error, **result, "tools": tools}


def _print_result(result: dict[str, Any]) -> None:
    if result.get("error"):
        err.print(f"[red]Error:[/red] {result['reply'] or result['error']}")
        return
    console.print(result["reply"])
    if result.get("approval"):
        console.print(
            f"\n[yellow]Waiting for approval.[/yellow] Answer with: studio ask --thread {result['thread_id']} --approve"
        )
    backend = ", ".join(f"{k}: {v}" for k, v in result["backend"].items())
    console.print(
        f"\n[dim]tools: {', '.join(result['tools']) or '—'} · {backend} · thread {result['thread_id']}[/dim]"
    )


# -- keys --------------------------------------------------------------------------------------------

keys_app = typer.Typer(help="Encryption keys of stored platform credentials.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new Fernet key (put it first in STUDIO_SECRET_KEY, the old keys after it)."""

    print(Fernet.generate_key().decode())


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored credential with the newest key of STUDIO_SECRET_KEY."""

    settings = _settings()
    keys, _ = settings.resolved_secrets()
    try:
        with session_scope(_engine(settings)) as session:
            count = repo.rotate_credentials(session, box=CredentialBox(keys))
    except StudioError as exc:
        _fail(exc)
    console.print(f"Re-encrypted {count} account credential(s) with the newest key.")
    if len(keys) > 1:
        console.print(
            "The older keys are no longer needed for stored credentials; remove them from STUDIO_SECRET_KEY."
        )


# -- worker ------------------------------------------------------------------------------------------


def _user_id(session: Any, email: str) -> str:
    user = repo.find_user_by_email(session, email=email)
    if user is None:
        _fail(StudioError(f"No user {email}."))
    assert user is not None
    return user.id


@account_app.command("add")
def account_add(
    email: Annotated[str, typer.Argument(help="The studio user who owns the account.")],
    platform: Annotated[str, typer.Option(help="mastodon | bluesky | webhook")],
    handle: Annotated[str, typer.Option(help="@you@instance, you.bsky.social, or a name for the webhook.")],
    url: Annotated[
        str | None, typer.Option(help="Mastodon instance, Bluesky PDS (default bsky.social) or webhook URL.")
    ] = None,
    verify_url: Annotated[str | None, typer.Option(help="Webhook: where delivery can be checked.")] = None,
    secret_stdin: Annotated[
        bool,
        typer.Option("--secret-stdin", help="Read the token / app password / signing secret from stdin."),
    ] = False,
) -> None:
    """Connect a publishing account. The token is read from stdin or a hidden prompt, never from the command
    line (it would stay in your shell history) nor from chat (it would stay in the conversation)."""

    settings = _settings()
    if secret_stdin:
        secret = sys.stdin.readline().strip()
    elif platform.lower() == "webhook":
        secret = ""  # generated and shown once
    else:
        secret = typer.prompt(
            "Access token" if platform.lower() == "mastodon" else "App password", hide_input=True
        )

    box = CredentialBox(settings.resolved_secrets()[0])
    try:
        with session_scope(_engine(settings)) as session:
            done = connect(
                session,
                user_id=_user_id(session, email),
                box=box,
                platform=platform,
                handle=handle,
                url=url,
                secret=secret,
                verify_url=verify_url,
                allow_loopback=settings.url_allow_loopback,
            )
            account = done.account
            console.print(f"Connected {account.platform} account {account.handle} (#{account.id}).")
    except StudioError as exc:
        _fail(exc)
    if done.generated_secret:
        console.print(f"Signing secret (shown once): [bold]{done.generated_secret}[/bold]")


@account_app.command("list")
def account_list(email: str) -> None:
    """A user's connected accounts (never their credentials)."""
    settings = _settings()
    with session_scope(_engine(settings)) as session:
        for account in repo.list_platform_accounts(session, user_id=_user_id(session, email)):
            where = f" {account.base_url}" if account.base_url else ""
            console.print(f"#{account.id} {account.platform} {account.handle}{where} ({account.state})")


@account_app.command("remove")
def account_remove(email: str, account_id: int) -> None:
    """Disconnect an account: its stored credentials are deleted; queued posts for it fall back to the
    outbox only if you reschedule them."""
    settings = _settings()
    try:
        with session_scope(_engine(settings)) as session:
            account = repo.get_platform_account(
                session, user_id=_user_id(session, email), account_id=account_id
            )
            session.delete(account)
    except StudioError as exc:
        _fail(exc)
    console.print(f"Removed account #{account_id}.")


@app.command()
def worker(
    worker_id: Annotated[str | None, typer.Option("--id", help="Name in claims (default host:pid).")] = None,
    batch: Annotated[
        int | None,
        typer.Option(
            help="Posts claimed per round (default 100; the claims are renewed while they wait their turn)."
        ),
    ] = None,
) -> None:
    """Publish due posts as a separate process (run several on PostgreSQL; set STUDIO_SCHEDULER=off)."""

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = _settings()
    console.print(f"Worker publishing due posts from {_redacted(settings.sqlalchemy_url)} (Ctrl-C stops).")
    asyncio.run(run_worker(settings, worker_id=worker_id, batch_size=batch))


@app.command()
def slack(
    http: Annotated[bool, typer.Option("--http", help="Serve /slack/events over HTTP (default).")] = False,
    socket: Annotated[
        bool, typer.Option("--socket", help="Connect over Socket Mode (needs the app token).")
    ] = False,
    host: Annotated[str | None, typer.Option(help="Interface to bind (default from STUDIO_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from STUDIO_SLACK_PORT, 3000).")] = None,
) -> None:
    """Run the Slack bot: HTTP (events, commands and buttons at /slack/events) or Socket Mode."""
    from ui.slack.app import check_config, serve_http, serve_socket  # noqa: PLC0415 - see `run`

    if http and socket:
        _fail(StudioError("Choose one of --http and --socket."))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = _settings()
    try:
        check_config(settings, socket=socket)
    except StudioError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    _engine(settings).dispose()
    if socket:
        console.print("Slack bot connecting over Socket Mode (Ctrl-C stops).")
        asyncio.run(serve_socket(settings))
        return
    bind, listen = host or settings.host, port or settings.slack_port
    console.print(f"Slack bot on http://{bind}:{listen}/slack/events (Ctrl-C stops).")
    asyncio.run(serve_http(settings, host=bind, port=listen))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
