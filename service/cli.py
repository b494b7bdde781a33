"""The ``csi`` command line: validate definitions, migrate, manage keys and surveys, import/export, serve, demo."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(help="CSI survey and analytics service.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
staff_app = typer.Typer(help="Staff users (console sign-in) and API keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
drafts_app = typer.Typer(help="Web survey drafts (answers in progress).", no_args_is_help=True)
app.add_typer(staff_app, name="staff")
app.add_typer(drafts_app, name="drafts")
sample_app = typer.Typer(help="Plan a sample's size and draw a stratified sample.", no_args_is_help=True)
app.add_typer(sample_app, name="sample")


def _engine():  # type: ignore[no-untyped-def]
    from service.settings import get_settings
    from service.store.engine import make_engine

    return make_engine(get_settings().database_url)


def _fail(msg: str, code: int = 1) -> None:
    typer.echo(f"csi: {msg}", err=True)
    raise typer.Exit(code)


def _ready_engine():  # type: ignore[no-untyped-def]
    from service.store.migrate import SchemaOutdated, check_schema

    engine = _engine()
    try:
        check_schema(engine)
    except SchemaOutdated as e:
        _fail(str(e))
    return engine


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="definition YAML files")]) -> None:
    """Check survey definitions; print FILE:LINE: message for every error and exit non-zero on any."""
    from survey_defs import check_file

    bad = 0
    for f in files:
        issues = check_file(f)
        for i in issues:
            typer.echo(str(i))
        if issues:
            bad += 1
        else:
            typer.echo(f"{f}: ok")
    if bad:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations (creates the SQLite file if needed)."""
    from service.store.migrate import current_revision, upgrade

    engine = _engine()
    upgrade(engine)
    typer.echo(f"database at revision {current_revision(engine)} ({engine.url.render_as_string()})")


@drafts_app.command("purge")
def drafts_purge(
    older_than_days: Annotated[Optional[float], typer.Option(  # noqa: UP045
        help="default: CSI_DRAFT_TTL_DAYS")] = None,
) -> None:
    """Delete drafts not saved for the given time now (the running service also does this every hour)."""
    from service.settings import get_settings
    from service.web.drafts import purge

    days = get_settings().draft_ttl_days if older_than_days is None else older_than_days
    if days < 0:
        _fail("--older-than-days must not be negative")
    n = purge(_ready_engine(), days * 86400.0)
    typer.echo(f"purged {n} draft(s) not saved for {days:g} day(s)")


@staff_app.command("create-key")
def create_key(
    role: Annotated[str, typer.Option(help="admin or analyst")],
    name: Annotated[str, typer.Option(help="who or what the key is for")] = "",
) -> None:
    """Create a staff API key; the secret is printed once and only its hash is stored."""
    from service.errors import AppError
    from service.staff.keys import create_key as mk

    try:
        row, secret = mk(_ready_engine(), role, name)
    except AppError as e:
        _fail(e.message)
    typer.echo(secret)
    typer.echo(f"(key {row.id}, role {row.role}: keep this secret; it cannot be shown again)", err=True)


def _read_password() -> str:
    """From stdin when piped (one line, for scripts), else prompted twice without echo."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@staff_app.command("create-user")
def create_user(
    email: Annotated[str, typer.Argument(help="sign-in email (unique, case-insensitive)")],
    role: Annotated[str, typer.Option(help="admin, analyst or viewer")],
    name: Annotated[str, typer.Option(help="display name (default: the email's local part)")] = "",
    lang: Annotated[str, typer.Option(help="console language: zh or en")] = "zh",
) -> None:
    """Create a console user; the password is read from stdin when piped, else prompted for twice."""
    from service.accounts.service import create_user as mk
    from service.errors import AppError, Invalid

    engine = _ready_engine()
    password = _read_password()
    try:
        row = mk(engine, "cli", email, password, role, name, lang, via="cli")
    except Invalid as e:
        _fail("; ".join(f"{loc[-1]}: {msg}" for loc, msg in e.errors), 2)
    except AppError as e:
        _fail(e.message, 2)
    typer.echo(f"user {row.email} created (role {row.role}); sign in at /staff/login")


@app.command()
def publish(
    file: Annotated[Optional[Path], typer.Argument(help="definition YAML")] = None,  # noqa: UP045
    template: Annotated[Optional[str], typer.Option(help="a built-in template name")] = None,  # noqa: UP045
    base_url: Annotated[Optional[str], typer.Option(  # noqa: UP045
        help="public address of the service, for the printed link (default: CSI_PUBLIC_URL, else "
             "http://127.0.0.1:8000)")] = None,
) -> None:
    """Publish a definition as a new immutable version (unchanged definitions are not republished); prints the
    survey's public link."""
    from service.surveys.service import DefinitionRejected
    from service.surveys.service import publish as pub
    from survey_defs import template_path

    if (file is None) == (template is None):
        _fail("give a FILE or --template NAME")
    from survey_defs import list_templates

    if template is not None and template not in list_templates():
        _fail(f"unknown template {template!r}; templates are {', '.join(list_templates())}")
    path = file if file is not None else template_path(template or "")
    if not path.exists():
        _fail(f"{path}: no such file")
    try:
        ref, created = pub(_ready_engine(), path.read_text(encoding="utf-8"), str(path))
    except DefinitionRejected as e:
        for i in e.issues:
            typer.echo(str(i), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{ref.slug}: version {ref.version} {'published' if created else 'unchanged'}")
    from service.settings import get_settings
    from service.surveys.links import public_url

    typer.echo(f"public URL: {public_url(base_url or get_settings().public_base, ref.slug)}")


@app.command()
def close(slug: str) -> None:
    """Close a survey: further submissions answer 410."""
    from service.surveys.service import set_status

    ref = set_status(_ready_engine(), slug, "closed")
    typer.echo(f"{ref.slug}: {ref.status}")


@app.command("surveys")
def list_cmd() -> None:
    """List surveys with their version, status and response count."""
    from service.surveys.service import list_surveys

    for s in list_surveys(_ready_engine()):
        typer.echo(f"{s['slug']:24} v{s['version']}  {s['status']:7} {s['responses']} responses")


@app.command()
def export(
    slug: str,
    out: Annotated[Path, typer.Option(help="output file; its extension (.csv .xlsx .json .sav .dta) sets the format")],
    format: Annotated[Optional[str], typer.Option(help="csv, xlsx, json, sav or dta (overrides the extension)")] = None,  # noqa: UP045
    labels: Annotated[Optional[str], typer.Option(help="write answer labels in zh or en")] = None,  # noqa: UP045
) -> None:
    """Export every response as the canonical table (CSV/XLSX), SPSS (.sav), Stata (.dta) or JSON."""
    from service.responses import export as ex
    from service.surveys.service import load_ref

    try:
        fmt = ex.format_for(out, format)
    except ValueError as e:
        _fail(str(e))
    if labels is not None and labels not in ("zh", "en"):
        _fail(f"--labels: unknown language {labels!r}; use zh or en")
    engine = _ready_engine()
    ref = load_ref(engine, slug)
    try:
        ex.write_file(engine, ref, fmt, out, labels)
    except OSError as e:
        _fail(f"{out}: cannot write: {e.strerror or e}")
    typer.echo(f"wrote {out} ({fmt})")


@app.command("import")
def import_cmd(
    slug: Annotated[Optional[str], typer.Argument(help="survey slug")] = None,  # noqa: UP045
    file: Annotated[Optional[Path], typer.Argument(help="CSV or XLSX in the canonical layout (README)")] = None,  # noqa: UP045
    partial: Annotated[bool, typer.Option("--partial", help="store the valid respondents even if some are bad")
                       ] = False,
    replace: Annotated[bool, typer.Option("--replace", help="overwrite respondents already stored for the same "
                                                            "wave (default: skip them)")] = False,
    timezone: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--timezone", help="IANA zone for times without an offset (default: the definition's)")] = None,
    channel: Annotated[str, typer.Option(help="channel recorded for these responses")] = "import",
    list_: Annotated[bool, typer.Option("--list", help="list SLUG's import batches")] = False,
    undo: Annotated[Optional[int], typer.Option("--undo", help="remove the responses of import batch N")  # noqa: UP045
                    ] = None,
    force: Annotated[bool, typer.Option("--force", help="with --undo: also when the batch replaced responses")
                     ] = False,
) -> None:
    """Bulk-import responses (phone, paper, other systems); every problem is reported as FILE:LINE: column C.

    A respondent already stored for the same survey and wave is skipped (--replace overwrites it). Every import
    is a batch: `csi import --list SLUG` shows them, `csi import --undo N` removes one.
    """
    from service.errors import AppError
    from service.responses.importer import ImportRejected, import_file
    from service.responses.importing import batches
    from service.surveys.service import load_ref

    if undo is not None:
        if slug is not None or file is not None or list_:
            _fail("--undo takes only a batch id: csi import --undo N [--force]", 2)
        try:
            batch, removed = batches.undo_batch(_ready_engine(), undo, force=force)
        except AppError as e:
            _fail(e.message)
        typer.echo(f"batch {undo} ({batch['file_name']}) undone: removed {removed} responses")
        return
    if slug is None:
        _fail("give SLUG FILE, --list SLUG or --undo N", 2)
    engine = _ready_engine()
    try:
        ref = load_ref(engine, slug or "")
    except AppError as e:
        _fail(e.message)
    if list_:
        if file is not None:
            _fail("--list takes only a survey: csi import --list SLUG", 2)
        _print_batches(batches.list_batches(engine, int(ref.id)))
        return
    if file is None:
        _fail("give the FILE to import", 2)
    assert file is not None
    if not file.is_file():
        _fail(f"{file}: no such file")
    try:
        report = import_file(engine, ref, file, all_or_nothing=not partial, replace=replace, channel=channel,
                             tz=timezone, who=batches.cli_user(), progress=sys.stderr.isatty())
    except ImportRejected as e:
        for msg in e.problems:
            typer.echo(msg, err=True)
        _fail(f"{file}: {e.count} problem(s); nothing was stored")
    except AppError as e:
        _fail(f"{file}: {e.message}")
    for msg in report.problems:
        typer.echo(msg, err=True)
    if report.same_file_batch is not None:
        typer.echo(f"{file}: this file was already imported as batch {report.same_file_batch}")
    done = f"{file}: batch {report.batch_id}: stored {report.stored} responses ({report.rows_stored} rows)"
    if report.skipped:
        done += f", skipped {report.skipped} already stored"
    if report.replaced:
        done += f", replaced {report.replaced}"
    if report.rejected:
        done += f", left out {report.rejected} with problems"
    typer.echo(done)


def _print_batches(rows: list[dict[str, object]]) -> None:
    from datetime import UTC, datetime

    def when(t: object) -> str:
        return "" if t is None else datetime.fromtimestamp(float(t), UTC).strftime("%Y-%m-%d %H:%M")  # type: ignore[arg-type]

    if not rows:
        typer.echo("no import batches")
        return
    typer.echo(f"{'batch':>5}  {'created (UTC)':16}  {'stored':>8} {'rows':>8} {'skipped':>8} {'replaced':>8} "
               f"{'rejected':>8}  {'undone (UTC)':16}  {'who':16}  file (sha256)")
    for b in rows:
        typer.echo(f"{b['id']!s:>5}  {when(b['created_at']):16}  {b['stored']!s:>8} {b['rows_stored']!s:>8} "
                   f"{b['skipped']!s:>8} {b['replaced']!s:>8} {b['rejected']!s:>8}  {when(b['undone_at']):16}  "
                   f"{b['who']!s:16}  {b['file_name']} ({str(b['sha256'])[:12]})")


@app.command()
def invite(
    slug: str,
    out: Annotated[Path, typer.Option(help="CSV file for the tokens and links (shown only this once)")],
    count: Annotated[Optional[int], typer.Option(help="number of anonymous tokens")] = None,  # noqa: UP045
    invitees: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="CSV: customer_ref, segment item columns, and contact columns email, phone, name, lang "
                          "(and stratum from `csi sample draw`): one token per row"),
    ] = None,
    expires_days: Annotated[Optional[float], typer.Option(help="tokens expire after this many days")] = None,  # noqa: UP045
    base_url: Annotated[str, typer.Option(help="prefix for the links (default: CSI_PUBLIC_URL when sending, "
                                               "none in the CSV otherwise)")] = "",
    send: Annotated[bool, typer.Option("--send", help="mail each invitee with an email (CSI_SMTP_URL) and, with "
                                                      "CSI_SMS_WEBHOOK_URL, text each with a phone")] = False,
    sms_out: Annotated[Optional[Path], typer.Option(help="also write (phone, link, text) for an SMS gateway")  # noqa: UP045
                       ] = None,
    wave: Annotated[Optional[str], typer.Option(help="the wave these invitations are for (fieldwork per wave)")  # noqa: UP045
                    ] = None,
) -> None:
    """Create single-use invitation tokens; only their hashes are stored, so keep the CSV safe.

    With --send, every send is recorded (queued, then sent, bounced or failed); if the run is interrupted,
    `csi send SLUG` finishes it without mailing anyone twice.
    """
    from pydantic import ValidationError

    from service.errors import AppError, Invalid
    from service.fieldwork import files
    from service.invitations.schemas import InvitationsIn, InviteeIn
    from service.invitations.service import create_invitations
    from service.settings import get_settings
    from service.surveys.service import load_ref

    settings = get_settings()
    people: list[InviteeIn] | None = None
    table = None
    if invitees is not None:
        try:
            table = files.read_table(invitees, keep_going=True)
            people = files.invitees_from(table)
        except files.FileProblems as e:
            for p in e.problems:
                typer.echo(p, err=True)
            _fail(f"{invitees}: {len(e.problems)} problem(s); no invitation was created")
    if send and people is None:
        _fail("--send needs --invitees (a file with an email or phone column)")
    try:
        body = InvitationsIn(count=count, invitees=people, expires_in_days=expires_days)
    except ValidationError as e:
        _fail("; ".join(err["msg"].removeprefix("Value error, ") for err in e.errors()))
    transports = _transports(settings, people or [], send)
    if send or sms_out is not None:
        base_url = base_url or settings.public_base
    engine = _ready_engine()
    try:
        ref = load_ref(engine, slug)
        issued, expires_at = create_invitations(engine, ref, body.n, invitees=body.invitees,
                                                expires_in_days=body.expires_in_days, secret=settings.secret_key,
                                                wave=wave)
    except Invalid as e:
        for loc, msg in e.errors:
            if len(loc) > 3 and table is not None:
                where = f"{invitees}:{table.lines[loc[2]]}: column {loc[-1] if loc[3] == 'segments' else loc[3]}"
            else:
                where = "--wave" if loc == ["wave"] else str(invitees)
            typer.echo(f"{where}: {msg}", err=True)
        raise typer.Exit(1) from None
    except AppError as e:
        _fail(e.message)
    _write_links(out, ref.slug, issued, expires_at, base_url)
    typer.echo(f"{ref.slug}: {len(issued)} invitation(s) written to {out}")
    if sms_out is not None:
        _write_sms(sms_out, ref, issued, base_url)
    if send and transports is not None:
        from service.fieldwork import outbox

        ids = [int(i.invitation_id or 0) for i in issued]
        queued = outbox.queue(engine, ref, ids, "invite", transports.channels)
        typer.echo(f"{ref.slug}: {queued} message(s) queued")
        _run_outbox(engine, ref, transports, settings, base_url, retry_stuck=False)


def _transports(settings, people: list, send: bool):  # type: ignore[no-untyped-def]
    """The configured senders when sending; refuses before anything is created when a channel is missing."""
    if not send:
        return None
    from service.fieldwork.transports import from_settings

    try:
        t = from_settings(settings)
    except ValueError as e:
        _fail(str(e))
    emails = sum(1 for p in people if p.email)
    phones = sum(1 for p in people if p.phone)
    if emails and t.email is None:
        _fail(f"{emails} invitee(s) have an email but CSI_SMTP_URL is not set (smtp://user:pass@host:port)")
    if phones and t.sms is None:
        typer.echo(f"note: {phones} invitee(s) have a phone but CSI_SMS_WEBHOOK_URL is not set: no SMS is sent "
                   "(--sms-out writes a file for the gateway)", err=True)
    if not emails and not (phones and t.sms is not None):
        _fail("--send: no invitee has an email (or a phone with CSI_SMS_WEBHOOK_URL set)")
    return t


def _run_outbox(engine, ref, transports, settings, base_url: str, retry_stuck: bool) -> None:  # type: ignore[no-untyped-def]
    from service.fieldwork import outbox

    try:
        summary = outbox.run(engine, ref, transports, base_url=base_url, secret=settings.secret_key,
                             retry_stuck=retry_stuck)
    finally:
        transports.close()
    for r in summary.reasons[:20]:
        typer.echo(f"  {r}", err=True)
    if len(summary.reasons) > 20:
        typer.echo(f"  ... and {len(summary.reasons) - 20} more (csi fieldwork {ref.slug})", err=True)
    typer.echo(f"{ref.slug}: {summary.line()}")


def _write_links(out: Path, slug: str, issued: list, expires_at: float | None, base_url: str) -> None:  # type: ignore[type-arg]
    from datetime import UTC, datetime

    from service.fieldwork.files import write_csv

    seg_cols = sorted({k for i in issued for k in i.segments})
    expires = "" if expires_at is None else datetime.fromtimestamp(expires_at, UTC).isoformat(timespec="seconds")
    try:
        write_csv(out, ["token", "url", "customer_ref", *seg_cols, "expires_at"],
                  [[i.token, base_url.rstrip("/") + i.path(slug), i.customer_ref or "",
                    *(i.segments.get(c, "") for c in seg_cols), expires] for i in issued],
                  bom=False, raw=frozenset({"token", "url", "expires_at"}))
    except OSError as e:
        _fail(f"{out}: cannot write: {e.strerror or e}")


def _write_sms(path: Path, ref, issued: list, base_url: str) -> None:  # type: ignore[no-untyped-def, type-arg]
    from service.fieldwork.sms import write_sms_csv
    from service.invitations.links import survey_link, unsubscribe_link
    from service.mail.compose import Recipient, sms_text

    rows = []
    for i in issued:
        p = i.invitee
        if p is None or not p.phone:
            continue
        r = Recipient(link=survey_link(base_url, ref.slug, i.token, p.lang),
                      unsubscribe_link=unsubscribe_link(base_url, ref.slug, i.token, p.lang), phone=p.phone,
                      name=p.name, lang=p.lang)
        rows.append((p.phone, r.link, sms_text(ref.definition, r)))
    try:
        n = write_sms_csv(path, rows)
    except OSError as e:
        _fail(f"{path}: cannot write: {e.strerror or e}")
    typer.echo(f"{ref.slug}: {n} SMS row(s) written to {path}")


def _duration(text: str, option: str) -> float:
    import re

    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", text)
    if not m:
        _fail(f"{option}: give a duration such as 3d, 12h, 30m or 1w, not {text!r}")
    assert m is not None
    return float(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[m.group(2)]


@app.command("send")
def send_cmd(
    slug: str,
    retry_stuck: Annotated[bool, typer.Option("--retry-stuck", help="also resend sends interrupted while "
                                              "sending (the person may then get the mail twice)")] = False,
    base_url: Annotated[str, typer.Option(help="prefix for the links (default: CSI_PUBLIC_URL)")] = "",
) -> None:
    """Send what is queued (after an interrupted `csi invite --send` or `csi remind`); never sends anything twice
    unless --retry-stuck."""
    settings, engine, ref, transports = _sending(slug)
    _run_outbox(engine, ref, transports, settings, base_url or settings.public_base, retry_stuck)


def _sending(slug: str):  # type: ignore[no-untyped-def]
    """(settings, engine, survey, transports) for a command that sends, or a clean CLI error."""
    from service.errors import AppError
    from service.fieldwork.transports import from_settings
    from service.settings import get_settings
    from service.surveys.service import load_ref

    settings = get_settings()
    engine = _ready_engine()
    try:
        ref = load_ref(engine, slug)
        transports = from_settings(settings)
    except AppError as e:
        _fail(e.message)
    except ValueError as e:
        _fail(str(e))
    if not transports.channels:
        _fail("neither CSI_SMTP_URL nor CSI_SMS_WEBHOOK_URL is set")
    return settings, engine, ref, transports


@app.command()
def remind(
    slug: str,
    after: Annotated[str, typer.Option(help="remind when the last message is older than this (3d, 12h, 1w)")
                     ] = "3d",
    max_: Annotated[int, typer.Option("--max", min=0, help="at most this many reminders per person")] = 2,
    base_url: Annotated[str, typer.Option(help="prefix for the links (default: CSI_PUBLIC_URL)")] = "",
) -> None:
    """Remind invitees who have neither answered nor unsubscribed, never twice within --after, at most --max."""
    from service.fieldwork import outbox

    after_s = _duration(after, "--after")
    settings, engine, ref, transports = _sending(slug)
    plan = outbox.queue_reminders(engine, ref, after_s=after_s, max_n=max_, channels=transports.channels)
    typer.echo(f"{ref.slug}: {plan.queued} reminder(s) queued; skipped {plan.answered} answered, "
               f"{plan.unsubscribed} unsubscribed, {plan.expired} expired, {plan.too_recent} contacted within "
               f"{after}, {plan.at_max} at --max {max_}, {plan.never_invited} never sent an invitation")
    _run_outbox(engine, ref, transports, settings, base_url or settings.public_base, retry_stuck=False)


@app.command()
def qr(
    slug: str,
    out: Annotated[Path, typer.Option(help="folder for SLUG-qr.png and SLUG-qr.svg")] = Path("."),
    base_url: Annotated[str, typer.Option(help="prefix for the link (default: CSI_PUBLIC_URL)")] = "",
) -> None:
    """Write a QR code (PNG and SVG) of the survey's public link."""
    from service.errors import AppError
    from service.fieldwork.qr import write_qr
    from service.settings import get_settings
    from service.surveys.service import load_ref

    try:
        ref = load_ref(_ready_engine(), slug)
    except AppError as e:
        _fail(e.message)
    url = f"{(base_url or get_settings().public_base).rstrip('/')}/s/{ref.slug}"
    try:
        png, svg = write_qr(url, out, ref.slug)
    except OSError as e:
        _fail(f"{out}: cannot write: {e.strerror or e}")
    typer.echo(f"{url}\nwrote {png} and {svg}")


@app.command("fieldwork")
def fieldwork_cmd(
    slug: str,
    as_json: Annotated[bool, typer.Option("--json", help="print the whole report as JSON")] = False,
) -> None:
    """Response rates: invited, delivered, opened, partial, complete, screened out, unsubscribed, AAPOR RR1/RR2,
    per wave, channel, stratum and segment, and completes per day."""
    import json

    from service.errors import AppError
    from service.fieldwork.report import fieldwork
    from service.surveys.service import load_ref

    engine = _ready_engine()
    try:
        report = fieldwork(engine, load_ref(engine, slug))
    except AppError as e:
        _fail(e.message)
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
        return
    head = (f"{'':24} {'invited':>8} {'deliv.':>8} {'opened':>8} {'partial':>8} {'complete':>8} {'screened':>8} "
            f"{'unsub.':>8} {'RR1':>7} {'RR2':>7}")

    def line(name: str, c) -> str:  # type: ignore[no-untyped-def]
        pct = lambda x: "n/a" if x is None else f"{100 * x:.1f}%"  # noqa: E731
        return (f"{name[:24]:24} {c.invited:>8} {c.delivered:>8} {c.opened:>8} {c.partial:>8} {c.complete:>8} "
                f"{c.screened_out:>8} {c.unsubscribed:>8} {pct(c.rr1):>7} {pct(c.rr2):>7}")

    typer.echo(head)
    typer.echo(line("overall", report.overall))
    for title, groups in (("wave", report.by_wave), ("channel", report.by_channel), ("stratum", report.by_stratum),
                          *((f"segment {k}", v) for k, v in report.by_segment.items())):
        typer.echo(f"by {title}:")
        for name, c in groups.items():
            typer.echo(line("  " + name, c))
    typer.echo("completes per day: " + (", ".join(f"{d.date} {d.completes}" for d in report.completes_per_day)
                                         or "none"))
    typer.echo(f"anonymous (not invited) completes: {report.anonymous_completes}")
    if report.stuck_sends:
        typer.echo(f"{report.stuck_sends} send(s) interrupted while sending: `csi send {slug} --retry-stuck` "
                   "resends them")


@sample_app.command("plan")
def sample_plan(
    margin: Annotated[float, typer.Option(help="margin of error: index points for a mean (--sd), a share for a "
                                               "rate (--p), e.g. 2 or 0.05")],
    sd: Annotated[Optional[float], typer.Option(help="expected SD of the index (0-100 points), e.g. 15")] = None,  # noqa: UP045
    p: Annotated[Optional[float], typer.Option(help="expected proportion for a rate, e.g. 0.8 (0.5 if unknown)")  # noqa: UP045
                 ] = None,
    confidence: Annotated[float, typer.Option(help="two-sided confidence level")] = 0.95,
    population: Annotated[Optional[int], typer.Option(help="customers in the population (finite population "  # noqa: UP045
                                                           "correction; default: the strata total)")] = None,
    deff: Annotated[float, typer.Option(help="design effect (Kish): 1 for simple random sampling")] = 1.0,
    response_rate: Annotated[float, typer.Option(help="expected response rate, e.g. 0.25")] = 1.0,
    strata_file: Annotated[Optional[Path], typer.Option(help="CSV with columns stratum, size and (Neyman) sd")  # noqa: UP045
                           ] = None,
    stratum: Annotated[Optional[list[str]], typer.Option(help="NAME=SIZE or NAME=SIZE:SD, repeatable")] = None,  # noqa: UP045
    allocation: Annotated[str, typer.Option(help="proportional or neyman")] = "proportional",
    as_json: Annotated[bool, typer.Option("--json", help="print the plan as JSON")] = False,
) -> None:
    """Sample size for a margin of error on the index or a rate, and the invitations to send (docs/methods.md
    section 13), overall and per stratum."""
    import json

    from analytics.sampling import plan

    if allocation not in ("proportional", "neyman"):
        _fail(f"--allocation: use proportional or neyman, not {allocation!r}")
    strata = _strata(strata_file, stratum or [])
    try:
        result = plan(margin=margin, confidence=confidence, sd=sd, p=p, population=population, deff=deff,
                      response_rate=response_rate, strata=strata, allocation=allocation)  # type: ignore[arg-type]
    except ValueError as e:
        _fail(str(e))
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=1))
        return
    what = f"mean (SD {sd:g})" if sd is not None else f"rate (p = {p:g})"
    typer.echo(f"margin ±{margin:g} on a {what} at {confidence:.0%} confidence: z = {result.z:.4f}")
    typer.echo(f"  n0 = {result.n0:.1f}; x deff {deff:g} = {result.n_deff:.1f}"
               + (f"; finite population {result.population}: {result.n_fpc:.1f}" if result.population else ""))
    typer.echo(f"completes needed: {result.completes}")
    typer.echo(f"invitations needed at a {response_rate:.0%} response rate: {result.invitations}")
    if result.strata:
        typer.echo(f"{'stratum':24} {'size':>9} {'completes':>10} {'invitations':>12}  ({result.allocation})")
        for s in result.strata:
            typer.echo(f"{s.name[:24]:24} {s.size:>9} {s.completes:>10} {s.invitations:>12}")
    for w in result.warnings:
        typer.echo(f"warning: {w}", err=True)


def _strata(path: Optional[Path], pairs: list[str]) -> list:  # type: ignore[type-arg]  # noqa: UP045
    from analytics.sampling import Stratum
    from service.fieldwork.files import FileProblems, read_table

    out: list[Stratum] = []
    if path is not None:
        try:
            table = read_table(path)
        except FileProblems as e:
            for msg in e.problems:
                typer.echo(msg, err=True)
            _fail(f"{path}: {len(e.problems)} problem(s)")
        missing = {"stratum", "size"} - set(table.columns)
        if missing:
            _fail(f"{path}:1: missing column(s) {', '.join(sorted(missing))}; need stratum, size and optional sd")
        problems = []
        for row, line in zip(table.rows, table.lines, strict=True):
            try:
                size = int(row.get("size", ""))
                sd = float(row["sd"]) if row.get("sd") else None
                if size < 1 or (sd is not None and sd <= 0):
                    raise ValueError
            except ValueError:
                problems.append(f"{path}:{line}: size must be a positive integer and sd a positive number")
                continue
            out.append(Stratum(row.get("stratum") or f"line {line}", size, sd))
        if problems:
            for msg in problems:
                typer.echo(msg, err=True)
            _fail(f"{path}: {len(problems)} problem(s)")
    for pair in pairs:
        name, _, rest = pair.partition("=")
        size_s, _, sd_s = rest.partition(":")
        try:
            out.append(Stratum(name.strip(), int(size_s), float(sd_s) if sd_s else None))
        except ValueError:
            _fail(f"--stratum takes NAME=SIZE or NAME=SIZE:SD, got {pair!r}")
    return out


@sample_app.command("draw")
def sample_draw(
    slug: str,
    customers: Annotated[Path, typer.Argument(help="customer list CSV")],
    n: Annotated[int, typer.Option("--n", min=1, help="sample size")],
    seed: Annotated[int, typer.Option(help="random seed: the same file, n and seed give the same sample")],
    strata: Annotated[str, typer.Option(help="comma-separated columns that define the strata, e.g. region,segment")
                      ] = "",
    out: Annotated[Path, typer.Option(help="the invitee file to write (for `csi invite --invitees`)")
                   ] = Path("invitees.csv"),
) -> None:
    """Draw a stratified random sample (proportional allocation, largest-remainder rounding) from a customer
    list and write the invitee file `csi invite` takes: customer_ref, the definition's segment columns, the
    contact columns (email, phone, name, lang) and the stratum."""
    from analytics.sampling import draw
    from service.errors import AppError
    from service.fieldwork.files import FileProblems, read_table, write_csv
    from service.invitations.schemas import CONTACT_COLUMNS
    from service.surveys.service import load_ref

    try:
        ref = load_ref(_ready_engine(), slug)
    except AppError as e:
        _fail(e.message)
    try:
        table = read_table(customers)
    except FileProblems as e:
        for msg in e.problems:
            typer.echo(msg, err=True)
        _fail(f"{customers}: {len(e.problems)} problem(s); nothing was drawn")
    cols = [c.strip() for c in strata.split(",") if c.strip()]
    missing = [c for c in cols if c not in table.columns]
    if missing:
        _fail(f"{customers}:1: no column {', '.join(map(repr, missing))} for --strata; columns are "
              f"{', '.join(table.columns)}")
    if n > len(table.rows):
        _fail(f"--n {n} is more than the {len(table.rows)} customers in {customers}")
    keys = [tuple(r.get(c, "") for c in cols) for r in table.rows]
    chosen, counts = draw(keys, n, seed)
    keep = [c for c in table.columns if c == "customer_ref" or c in CONTACT_COLUMNS
            or c in ref.definition.segment_item_ids]
    dropped = [c for c in table.columns if c not in keep and c != "stratum"]
    label = lambda k: "/".join(v or "(blank)" for v in k) if cols else "all"  # noqa: E731
    try:
        write_csv(out, [*keep, "stratum"],
                  [[table.rows[i].get(c, "") for c in keep] + [label(keys[i])] for i in chosen])
    except OSError as e:
        _fail(f"{out}: cannot write: {e.strerror or e}")
    for k, c in counts.items():
        typer.echo(f"  {label(k)}: {c}")
    typer.echo(f"{slug}: drew {len(chosen)} of {len(table.rows)} customers (seed {seed}) into {out}")
    if dropped:
        typer.echo(f"note: left out column(s) {', '.join(dropped)} (neither contact data nor a segment item of "
                   f"{slug}; the stratum column keeps the strata)", err=True)


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    forwarded_allow_ips: Annotated[str, typer.Option(
        help="comma-separated addresses of reverse proxies whose X-Forwarded-For/-Proto to believe ('*': any); "
             "default none: the client address is the connection's peer")] = "",
    worker: Annotated[Optional[bool], typer.Option(  # noqa: UP045
        "--worker/--no-worker", help="run a background-job worker (one thread) in this process; default: on with "
                                     "the embedded queue (CSI_QUEUE_URL sqlite:///...), off with Redis, where "
                                     "`csi worker` processes do it")] = None,
) -> None:
    """Run the service with uvicorn (the schema must be up to date: `csi db upgrade`).

    No proxy is trusted unless named: uvicorn's own default believes ``X-Forwarded-For`` from any loopback
    client, so anyone on the machine (or a proxy that passes the header through) could pick the address the
    per-client rate limit counts, and rotating it would get around the limit.
    """
    import uvicorn

    from service.settings import get_settings

    engine = _ready_engine()
    _print_urls(engine, host, port)
    settings = get_settings()
    embedded_queue = settings.queue.startswith("sqlite:///")
    job_worker = None
    if worker if worker is not None else embedded_queue:
        from service.jobs.worker import Worker

        job_worker = Worker(settings, engine, threads=1)
        job_worker.start()
    ips = forwarded_allow_ips.strip()
    try:
        uvicorn.run("service.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                    log_level="warning", proxy_headers=bool(ips), forwarded_allow_ips=ips or None)
    finally:
        if job_worker is not None:
            job_worker.stop(graceful=False)  # a report cut short is retried by the next worker (its heartbeat stops)


@app.command()
def worker(
    threads: Annotated[int, typer.Option(min=1, help="jobs run at once (memory: up to this many times "
                                                     "CSI_MAX_ANALYSIS_BYTES)")] = 1,
    poll: Annotated[float, typer.Option(min=0.05, help="longest wait between looks at an idle embedded queue "
                                                       "(seconds; Redis is not polled)")] = 1.0,
) -> None:
    """Run background jobs (reports) from the queue (CSI_QUEUE_URL) until SIGINT/SIGTERM.

    Several workers, on several machines, may share a Redis queue and the PostgreSQL store. Each also requeues
    the jobs of workers that died (no heartbeat for CSI_JOB_STALE_AFTER_S) and deletes report files older than
    CSI_ARTIFACTS_RETENTION_DAYS.
    """
    import logging

    from service.jobs.worker import Worker
    from service.settings import get_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    try:
        w = Worker(settings, _ready_engine(), threads=threads, poll_s=poll)
    except ValueError as e:
        _fail(str(e))
    typer.echo(f"csi worker: {threads} thread(s), queue {settings.queue}, files in {settings.artifacts_dir}",
               err=True)
    w.run()


def _print_urls(engine, host: str, port: int) -> None:  # type: ignore[no-untyped-def]
    """Where to go once it is up: the console (or its one-time setup), the API docs and each open survey."""
    from service.accounts.service import setup_open
    from service.settings import get_settings
    from service.surveys.links import base_for
    from service.surveys.service import list_surveys

    local = base_for(host, port, None)  # the console and docs: where this server listens
    base = base_for(host, port, get_settings().public_url)  # the surveys: where respondents reach them
    first = setup_open(engine)
    typer.echo(f"console   {local}/staff/{'setup  (no user yet: create the first admin here)' if first else ''}")
    typer.echo(f"API docs  {local}/docs")
    for s in list_surveys(engine):
        if s["status"] == "open":
            typer.echo(f"survey    {base}/s/{s['slug']}")


def _parse_segments(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in pairs:
        item, sep, code = p.partition("=")
        if not sep or not item or not code:
            _fail(f"--segment takes ITEM=OPTION, got {p!r}")
        out[item.strip()] = code.strip()
    return out


@app.command()
def analyze(
    slug: Annotated[Optional[str], typer.Argument(help="survey in the store")] = None,  # noqa: UP045
    definition: Annotated[Optional[Path], typer.Option(help="definition YAML (file mode)")] = None,  # noqa: UP045
    responses: Annotated[Optional[Path], typer.Option(help="response table CSV/XLSX (file mode)")] = None,  # noqa: UP045
    wave: Annotated[Optional[str], typer.Option("--wave", "--period", help="only this wave/period")] = None,  # noqa: UP045
    brand: Annotated[Optional[str], typer.Option(help="only respondents who rated this brand")] = None,  # noqa: UP045
    segment: Annotated[Optional[list[str]], typer.Option(help="ITEM=OPTION, repeatable")] = None,  # noqa: UP045
    as_json: Annotated[bool, typer.Option("--json", help="print the full JSON (docs/analytics-json.md)")] = False,
    summary: Annotated[bool, typer.Option(
        "--summary", help="the streamed summary: memory does not grow with the responses; the sections that need "
                          "respondent-level data are marked not_computed (docs/analytics-json.md)")] = False,
) -> None:
    """Run every applicable analysis, from the store (SLUG) or from files (--definition + --responses)."""
    import json

    from service.errors import AppError

    segs = _parse_segments(segment or [])
    try:
        if slug is not None:
            if definition or responses:
                _fail("give either SLUG or --definition and --responses, not both")
            from service.analysis import analyze_store, summarize_store

            run = summarize_store if summary else analyze_store
            result = run(_ready_engine(), slug, wave=wave, brand=brand, segment=segs or None)
        else:
            if definition is None or responses is None:
                _fail("give SLUG, or --definition FILE.yaml and --responses FILE.csv")
            result = _analyze_files(definition, responses, wave, brand, segs, summary)  # type: ignore[arg-type]
    except AppError as e:
        _fail(e.message)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        _print_summary(result)


def _analyze_files(definition: Path, responses: Path, wave: str | None, brand: str | None,
                   segs: dict[str, str], summary: bool = False) -> dict[str, object]:
    from analytics.analyze import analyze
    from analytics.streaming import summarize
    from service.responses.importer import ResponseFileError, load_response_file
    from survey_defs import DefinitionError, load_definition

    try:
        d = load_definition(definition)
    except DefinitionError as e:
        for i in e.issues:
            typer.echo(str(i), err=True)
        raise typer.Exit(1) from None
    if not responses.exists():
        _fail(f"{responses}: no such file")
    try:
        data = load_response_file(responses, d)
        if summary:
            result = summarize(d, data, wave=wave, brand=brand, segment=segs or None)
        else:  # as from the store, which reads only the filtered wave: no trend with a wave filter
            result = analyze(d, data, wave=wave, brand=brand, segment=segs or None, trend=wave is None)
    except ValueError as e:  # ResponseFileError names the file and line; an analysis error names neither
        _fail(str(e) if isinstance(e, ResponseFileError) else f"{responses}: {e}")
    result["source"] = {"store": "files", "definition": str(definition), "responses": str(responses)}
    return result


def _print_summary(r: dict) -> None:  # type: ignore[type-arg]
    def fig(x: object) -> str:
        if not isinstance(x, dict) or x.get("value") is None:
            return f"n/a ({x.get('reason', 'insufficient data') if isinstance(x, dict) else 'n/a'})"
        ci = x.get("ci") or [None, None]
        ci_s = f" [{ci[0]:.1f}, {ci[1]:.1f}]" if ci[0] is not None else ""
        return f"{x['value']:.1f}{ci_s} (n={x.get('n')})"

    idx = r.get("index") or {}
    typer.echo(f"CSI (weighted index): {fig(idx)}")
    typer.echo(f"satisfaction rate:    {fig(r.get('satisfaction_rate'))}")
    loy = r.get("loyalty") or {}
    if isinstance(loy, dict) and loy.get("nps"):
        typer.echo(f"NPS:                  {fig(loy['nps'])}")
    q = (r.get("quality") or {}).get("exclusions") or {}
    if q:
        typer.echo(f"excluded:             {q.get('n_excluded')} of {q.get('n_before')} ({q.get('rule')})")
    if r.get("mode") == "summary":
        skipped = sorted(k for k, v in r.items() if isinstance(v, dict) and v.get("status") == "not_computed")
        typer.echo(f"streamed summary; not computed (need respondent-level data): {', '.join(skipped) or 'none'}")
    typer.echo("(use --json for every figure)")


@app.command()
def report(
    slug: Annotated[Optional[str], typer.Argument(help="survey in the store")] = None,  # noqa: UP045
    out: Annotated[Path, typer.Option(help="output file (.pdf or .html)")] = Path("report.pdf"),
    lang: Annotated[str, typer.Option(help="zh or en")] = "zh",
    format: Annotated[Optional[str], typer.Option(help="pdf or html (default: from --out)")] = None,  # noqa: UP045
    wave: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="the wave to report on (default: the latest wave with responses, compared with the one "
                          "before; 'all' pools every wave)"),
    ] = None,
    definition: Annotated[Optional[Path], typer.Option(help="definition YAML (file mode)")] = None,  # noqa: UP045
    responses: Annotated[Optional[Path], typer.Option(help="response table CSV/XLSX (file mode)")] = None,  # noqa: UP045
) -> None:
    """Write the CSI report (PDF or interactive HTML) from the store (SLUG) or from files.

    On any error the message goes to stderr, the exit code is 1 and no output file is written (an existing one
    is left as it was): the file is only replaced, atomically, once the whole report is rendered.
    """
    from service.errors import AppError
    from service.reporting import build_report, build_report_from_files, write_report

    fmt = format or ("html" if out.suffix.lower() in (".html", ".htm") else "pdf")
    if slug is not None and (definition or responses):
        _fail("give either SLUG or --definition and --responses, not both")
    if slug is None and (definition is None or responses is None):
        _fail("give SLUG, or --definition FILE.yaml and --responses FILE.csv")
    for f in (definition, responses):
        if f is not None and not f.exists():
            _fail(f"{f}: no such file")
    try:
        if slug is not None:
            data = build_report(_ready_engine(), slug, lang=lang, fmt=fmt, wave=wave)
        else:
            data = build_report_from_files(definition, responses, lang=lang, fmt=fmt, wave=wave)  # type: ignore[arg-type]
        write_report(data, out)
    except AppError as e:
        _fail(e.message)
    except OSError as e:
        _fail(f"cannot write {out}: {e.strerror or e}")
    typer.echo(f"wrote {out} ({len(data) / 1024:,.0f} KB)")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="folder for the reports")] = Path("demo-out"),
    n_per_wave: Annotated[int, typer.Option(min=30, help="respondents generated per wave")] = 1200,
) -> None:
    """Run the product end to end on a fresh SQLite store: publish, collect, analyse, report."""
    from service.demo import run_demo

    sys.exit(run_demo(out, n_per_wave=n_per_wave))


@app.command()
def waves(
    slug: Annotated[str, typer.Argument(help="survey")],
    set_: Annotated[Optional[str], typer.Option("--set", help="change this wave")] = None,  # noqa: UP045
    add: Annotated[Optional[str], typer.Option(help="add a wave with this id")] = None,  # noqa: UP045
    opens: Annotated[Optional[str], typer.Option(  # noqa: UP045
        help="ISO date (a whole day) or datetime; naive in the definition's time zone; 'none' clears")] = None,
    closes: Annotated[Optional[str], typer.Option(  # noqa: UP045
        help="ISO date (inclusive: to the end of that day) or datetime; 'none' clears")] = None,
    label_zh: Annotated[Optional[str], typer.Option(help="label in Chinese")] = None,  # noqa: UP045
    label_en: Annotated[Optional[str], typer.Option(help="label in English")] = None,  # noqa: UP045
) -> None:
    """List a survey's wave calendar, or change (--set ID) or add (--add ID) a wave: no new version needed.

    A web or API answer without a wave goes to the wave open at its submission time; with dated waves and none
    open, the survey refuses answers (409) and the web page says it is not open now.
    """
    from service.errors import AppError, Invalid
    from service.surveys import waves as cal
    from service.surveys.service import load_ref

    engine = _ready_engine()
    if set_ is not None and add is not None:
        _fail("give --set ID or --add ID, not both")
    target = set_ if set_ is not None else add
    try:
        if target is not None:
            kw: dict[str, object] = {}
            for key, value in (("opens", opens), ("closes", closes)):
                if value is not None:
                    kw[key] = None if value.strip().lower() in ("", "none") else value
            label = {k: v for k, v in (("zh", label_zh), ("en", label_en)) if v is not None} or None
            if label is not None and set_ is not None:
                ref = load_ref(engine, slug)
                old = next((w.label for w in ref.definition.waves if w.id == set_), {})
                label = {**old, **label}
            w = cal.set_wave(engine, slug, target, label=label, add=add is not None, **kw)  # type: ignore[arg-type]
            typer.echo(f"{slug}: wave {w.id} {'added' if add else 'changed'}")
        ref = load_ref(engine, slug)
        rows = cal.list_waves(engine, slug)
    except Invalid as e:
        for loc, msg in e.errors:
            typer.echo(f"csi: --{loc[-1]}: {msg}", err=True)
        raise typer.Exit(1) from None
    except AppError as e:
        _fail(e.message)
    typer.echo(f"{slug}: {cal.calendar_summary(ref.definition)} (time zone {ref.definition.tz})")
    lang = ref.definition.default_language
    for w in rows:
        label = w.label.get(lang) or next(iter(w.label.values()), "")
        typer.echo(f"  {w.id:<12} {w.opens or '-':<19} {w.closes or '-':<19} {w.state:<9} {label}")


if __name__ == "__main__":
    app()
