"""The ``strideguard`` command line (a Flask click group; also ``flask --app strideguard``).

serve | worker | run | prepare | db | vapid | plugins | reminders | imports | demo | therapist |
backup | restore
"""

from __future__ import annotations

import json
import os
import signal
import subprocess  # nosec B404 # only to start our own gunicorn and worker, fixed argv
import sys
from datetime import datetime, timezone
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext


def _create_app() -> Flask:
    from strideguard import create_app

    return create_app()


def default_workers() -> int:
    """Gunicorn's (2 x cores) + 1, capped at 8: a 2-core machine gets 5."""
    return min(2 * (os.cpu_count() or 1) + 1, 8)


#: Threads per web worker process (each serves one connection at a time).
DEFAULT_THREADS = 4


def gunicorn_argv(host: str, port: int, workers: int, forwarded_allow_ips: str | None = None,
                  threads: int = DEFAULT_THREADS) -> list[str]:
    """gunicorn's command line; ``forwarded_allow_ips``: the proxies whose X-Forwarded-*
    headers count (the app's own ``FORWARDED_ALLOW_IPS``, so both trust the same peers).

    Threaded workers with a deadline on request heads (``operations/serving.py``): a process
    accepts only while it has a free thread, so a few slow clients cannot hold every worker."""
    trusted = ["--forwarded-allow-ips", forwarded_allow_ips] if forwarded_allow_ips else []
    return [
        sys.executable, "-m", "gunicorn",
        "--bind", f"{host}:{port}",
        *trusted,
        "--workers", str(workers),
        "--worker-class", "strideguard.operations.serving.HeadBoundedWorker",
        "--threads", str(threads),
        "--worker-connections", str(threads),
        "--keep-alive", "0",  # as the sync worker did: one request per connection
        "--timeout", "30",
        "--graceful-timeout", "10",
        "--access-logfile", "-",
        # Path, address and method percent-encoded: no forged lines, no terminal escapes.
        "--logger-class", "strideguard.operations.accesslog.AccessLogger",
        # An access-log line without the query string: dates and ids, never health data.
        "--access-logformat", '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms',
        # The app is built once in the master and the workers are forked from it.
        "--preload", "--config", "python:strideguard.operations.gunicorn_hooks",
        *_no_control_socket(),
        "strideguard:create_app()",
    ]


def _no_control_socket() -> list[str]:
    """gunicorn 25+ opens a control socket at one path per user (``~/.gunicorn/gunicorn.ctl``):
    two instances on a host took it from each other, and nothing here uses it. Off where the
    installed gunicorn has it."""
    from gunicorn.config import KNOWN_SETTINGS

    return ["--no-control-socket"] if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS) else []


def _server_env(workers: int) -> dict[str, str]:
    """The environment of the web (and worker) processes, after refusing settings under
    which ``workers`` web workers would not share their sign-in throttle."""
    from strideguard.config import build_config
    from strideguard.operations import metrics, ratelimit

    try:
        # Also creates the instance folder and secret key once, before the workers race to.
        _instance, settings = build_config()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    problem = ratelimit.per_process_problem(settings, workers)
    if problem:
        raise click.UsageError(problem)
    if not settings["HEADER_TIMEOUT_S"] > 0:
        raise click.UsageError("STRIDEGUARD_HEADER_TIMEOUT_S must be a number of seconds above 0.")
    env = dict(os.environ, STRIDEGUARD_INSTANCE_PATH=settings["INSTANCE_PATH"],
               STRIDEGUARD_FORWARDED_ALLOW_IPS=",".join(settings["FORWARDED_ALLOW_IPS"]),
               STRIDEGUARD_HEADER_TIMEOUT_S=str(settings["HEADER_TIMEOUT_S"]))
    if settings["METRICS_ENABLED"]:
        metrics.prepare_multiprocess_dir(settings["INSTANCE_PATH"], env)
    return env


def _prepare(app: Flask) -> None:
    """Migrate the database and create the VAPID key if missing (what a first start needs)."""
    from flask_migrate import upgrade

    from strideguard.push.service import ensure_vapid_key

    with app.app_context():
        upgrade()
        path = ensure_vapid_key(app)
    if path:
        click.echo(f"VAPID key: {path}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=None, type=int, help="Default: (2 x cores) + 1, at most 8.")
@click.option("--threads", default=DEFAULT_THREADS, show_default=True, type=click.IntRange(1, 64),
              help="Connections each worker serves at once.")
def serve_command(host: str, port: int, workers: int | None, threads: int) -> None:
    """Serve the web app with gunicorn (production; put a TLS reverse proxy in front)."""
    workers = workers or default_workers()
    env = _server_env(workers)
    # Replaces this process with gunicorn: our own interpreter, a fixed argv, no shell.
    argv = gunicorn_argv(host, port, workers, env["STRIDEGUARD_FORWARDED_ALLOW_IPS"], threads)
    os.execve(sys.executable, argv, env)  # nosec B606


@click.command("worker")
@with_appcontext
def worker_command() -> None:
    """Run the reminder scheduler in this process (APScheduler BlockingScheduler)."""
    from strideguard.reminders.worker import run_worker

    run_worker(current_app._get_current_object())


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--no-worker", is_flag=True, help="Start the web server only.")
def run_command(host: str, port: int, workers: int, no_worker: bool) -> None:
    """Migrate, create keys if missing, then start web server and reminder worker together."""
    env = _server_env(workers)
    app = _create_app()
    _prepare(app)
    argv = gunicorn_argv(host, port, workers, env["STRIDEGUARD_FORWARDED_ALLOW_IPS"])
    procs = [subprocess.Popen(argv, env=env)]  # nosec B603 # fixed argv, no shell
    if not no_worker:
        procs.append(subprocess.Popen([sys.executable, "-m", "strideguard.cli", "worker"], env=env))  # nosec B603 # fixed argv
    click.echo(f"StrideGuard on http://{host}:{port}/ (Ctrl+C to stop)")

    asked = []  # a signal asked us to stop (then a 0 exit is right)

    def _stop(*_: object) -> None:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()

    def _on_signal(*_: object) -> None:
        asked.append(True)
        _stop()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    dead = None
    try:
        # If either process dies, stop the other: a half-running app is worse than none.
        while dead is None:
            dead = next((proc for proc in procs if proc.poll() is not None), None)
            if dead is None:
                try:
                    procs[0].wait(timeout=1)
                except subprocess.TimeoutExpired:
                    pass
    finally:
        _stop()
        for proc in procs:
            proc.wait(timeout=15)
    if not asked:
        # Died on its own: say which, and exit non-zero so a supervisor restarts the app.
        name = "web server" if dead is procs[0] else "reminder worker"
        click.echo(f"StrideGuard stopped: the {name} exited (code {dead.returncode}), so the "
                   f"{'reminder worker' if name == 'web server' else 'web server'} was stopped too.", err=True)
        raise SystemExit(dead.returncode if dead.returncode and dead.returncode > 0 else 1)


@click.command("prepare")
@with_appcontext
def prepare_command() -> None:
    """Migrate the database and create the VAPID key if missing, then exit (a release step)."""
    _prepare(current_app._get_current_object())
    click.echo("database at the latest migration")


@click.group("vapid")
def vapid_group() -> None:
    """The VAPID key that signs Web Push messages."""


@vapid_group.command("generate")
@click.option("--force", is_flag=True, help="Replace an existing key (every subscription must re-subscribe).")
@with_appcontext
def vapid_generate(force: bool) -> None:
    """Create the key pair in the instance folder (refuses to replace one without --force)."""
    from strideguard.push import vapid

    try:
        path = vapid.generate_key_file(current_app.config["INSTANCE_PATH"], force=force)
    except vapid.VapidKeyExists as exc:
        raise click.ClickException(f"{exc} (use --force to replace it)") from None
    click.echo(f"wrote {path}")


@vapid_group.command("public-key")
@with_appcontext
def vapid_public() -> None:
    """Print the public key (base64url) browsers subscribe with."""
    from strideguard.push.service import public_key

    click.echo(public_key())


@click.group("plugins")
def plugins_group() -> None:
    """Guidance plugins."""


@plugins_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_appcontext
def plugins_list(as_json: bool) -> None:
    """Every plugin with version, API version, status and last error; then any warning about
    the plugin settings (on stderr, so ``--json`` stays one document)."""
    from strideguard.guidance.service import host

    host().conditions()  # ask every plugin once so a broken one shows as failed
    report = host().plugins_report()
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        for item in report:
            line = f"{item['name']:<24} {item['version']:<10} api={item['api_version']}  {item['status']}"
            if item.get("last_error"):
                line += f"  last error: {item['last_error']}"
            click.echo(line)
    for warning in host().warnings:
        click.echo(f"warning: {warning}", err=True)


@click.group("reminders")
def reminders_group() -> None:
    """Reminder planning and delivery."""


def _parse_now(value: str | None) -> datetime:
    if not value:
        return datetime.now(timezone.utc)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use ISO 8601, e.g. 2026-05-31T18:00:00Z") from None
    return parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@reminders_group.command("tick")
@click.option("--now", "now_text", default=None, help="ISO-8601 time to plan for (default: now).")
@with_appcontext
def reminders_tick(now_text: str | None) -> None:
    """One planning + delivery pass, then exit (it counts as a worker heartbeat)."""
    from strideguard.operations import heartbeat
    from strideguard.reminders.service import tick

    started = datetime.now(timezone.utc)
    summary = tick(_parse_now(now_text))
    heartbeat.beat(current_app.config["WORKER_INTERVAL_S"], started)
    click.echo(json.dumps(summary, sort_keys=True))


@click.group("imports")
def imports_group() -> None:
    """Run imports (GPX, TCX, FIT, Strava exports)."""


@imports_group.command("sweep")
@with_appcontext
def imports_sweep() -> None:
    """Finish queued or abandoned imports now and remove orphaned uploads, then exit."""
    from strideguard.imports.jobs import sweep

    click.echo(json.dumps(sweep(), sort_keys=True))


@click.command("demo")
@click.option("--email", default="demo@strideguard.local", show_default=True)
@click.option("--password", default="demo-runner-2026", show_default=True)
@click.option("--therapist-email", default="therapist@strideguard.local", show_default=True)
@click.option("--therapist-password", default="demo-therapist-2026", show_default=True)
@with_appcontext
def demo_command(email: str, password: str, therapist_email: str, therapist_password: str) -> None:
    """Create a demo runner with six weeks of realistic check-ins and runs, and their therapist."""
    from strideguard.demo import create_demo_runner, create_demo_therapist

    user = create_demo_runner(email, password)
    click.echo(f"demo runner {user.email} / {password} (time zone {user.timezone})")
    therapist = create_demo_therapist(therapist_email, therapist_password, user)
    click.echo(f"demo therapist {therapist.email} / {therapist_password} (sees the demo runner at /clinic)")


@click.group("therapist")
def therapist_group() -> None:
    """Therapist accounts (for a clinic that closes sign-up with STRIDEGUARD_THERAPIST_SIGNUP=false)."""


@therapist_group.command("add")
@click.argument("email")
@click.option("--name", default=None, help="How patients see the therapist, e.g. 'Dana Reyes, PT'.")
@click.option("--timezone", "tz", default="UTC", show_default=True)
@click.password_option(prompt="Password for the new account")
@with_appcontext
def therapist_add(email: str, name: str | None, tz: str, password: str) -> None:
    """Create a therapist account (asks for its password)."""
    from strideguard.accounts.service import create_account
    from strideguard.errors import DomainError
    from strideguard.extensions import db
    from strideguard.timeutil import is_valid_timezone

    if not is_valid_timezone(tz):
        raise click.BadParameter("use an IANA time zone, e.g. Europe/Berlin", param_hint="--timezone")
    try:
        user = create_account(email, password, timezone=tz, role="therapist", display_name=name)
    except DomainError as exc:
        problems = "; ".join(m for msgs in exc.fields.values() for m in msgs) or exc.message
        raise click.ClickException(problems) from None
    db.session.commit()
    click.echo(f"therapist account {user.email} (id {user.id})")


@therapist_group.command("list")
@with_appcontext
def therapist_list() -> None:
    """Every therapist account and how many patients gave it access."""
    from sqlalchemy import func, select

    from strideguard.accounts.models import User
    from strideguard.clinic.models import CareLink
    from strideguard.extensions import db

    rows = db.session.execute(
        select(User.id, User.email, User.display_name, func.count(CareLink.id))
        .outerjoin(CareLink, CareLink.therapist_id == User.id)
        .where(User.role == "therapist").group_by(User.id, User.email, User.display_name).order_by(User.id)
    )
    for uid, email, name, patients in rows:
        click.echo(f"{uid:>6}  {email:<40} {name or '':<30} {patients} patients")


@click.command("backup")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
              help="A folder, or the archive's file name. Default: <instance>/backups.")
def backup_command(output: Path | None) -> None:
    """Back up the database (a consistent snapshot while the server runs), the secret key and
    the VAPID key into one .tar.gz archive (0600). Copy it off this machine."""
    from strideguard.operations import backup

    try:
        path, manifest = backup.create(backup.current_settings(), output)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backup written to {path} ({manifest['database']}, schema {manifest['schema_revision']})")
    for name in manifest["keys_from_environment"]:
        click.echo(f"note: STRIDEGUARD_{name} comes from the environment and is not in the archive: keep it too.")


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that holds tables and differing key files.")
def restore_command(archive: Path, force: bool) -> None:
    """Restore a backup into this installation (stop the server first), then migrate the
    database to this version's schema."""
    from strideguard.operations import backup

    try:
        manifest = backup.restore(archive, backup.current_settings(), force=force)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    _prepare(_create_app())  # the restored keys are in place: the app reads them
    click.echo(f"restored the {manifest['database']} backup of {manifest['created_at']} "
               f"(schema {manifest['schema_revision']}); database at the latest migration")


COMMANDS = (serve_command, worker_command, prepare_command, vapid_group, plugins_group, reminders_group,
            imports_group, demo_command, therapist_group)


def register_app_commands(app: Flask) -> None:
    """Make the commands available as ``flask --app strideguard <command>`` too."""
    for command in COMMANDS:
        app.cli.add_command(command)


class _Commands(FlaskGroup):
    """Flask's group, except that its own commands are found before the plugins' entry points
    are loaded: ``serve``, ``run``, ``backup`` and ``restore`` start without building the app
    (Flask builds it to find an app command) or importing every plugin command (alembic,
    rich). ``strideguard serve`` then replaces itself with gunicorn, which builds the app
    once: before, the app was built twice per start (~1 s of CPU wasted each time)."""

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return click.Group.get_command(self, ctx, name) or super().get_command(ctx, name)


@click.group(cls=_Commands, create_app=_create_app, add_default_commands=False)
def main() -> None:
    """StrideGuard: guidance for runners with knee pain."""


# Commands that start processes: they build the app where it runs (gunicorn, the worker).
main.add_command(serve_command)
main.add_command(run_command)
# Not app commands: they must not create the app (and a new secret key) before restoring.
main.add_command(backup_command)
main.add_command(restore_command)

if __name__ == "__main__":
    main()
