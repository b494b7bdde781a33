"""The ``csi`` command line: validate definitions, migrate, manage keys and surveys, import/export, serve, demo."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(help="CSI survey and analytics service.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
staff_app = typer.Typer(help="Staff API keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
drafts_app = typer.Typer(help="Web survey drafts (answers in progress).", no_args_is_help=True)
app.add_typer(staff_app, name="staff")
app.add_typer(drafts_app, name="drafts")


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


@app.command()
def publish(
    file: Annotated[Optional[Path], typer.Argument(help="definition YAML")] = None,  # noqa: UP045
    template: Annotated[Optional[str], typer.Option(help="a built-in template name")] = None,  # noqa: UP045
    base_url: Annotated[Optional[str], typer.Option(  # noqa: UP045
        help="public address of the service, for the printed link (default: CSI_PUBLIC_BASE_URL, else "
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
    from service.surveys.links import DEFAULT_BASE_URL, public_url

    typer.echo(f"public URL: {public_url(base_url or get_settings().public_base_url or DEFAULT_BASE_URL, ref.slug)}")


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
        typer.Option(help="CSV with customer_ref and segment item columns: one token per row"),
    ] = None,
    expires_days: Annotated[Optional[float], typer.Option(help="tokens expire after this many days")] = None,  # noqa: UP045
    base_url: Annotated[str, typer.Option(help="prefix for the links, e.g. https://survey.example.com")] = "",
) -> None:
    """Create single-use invitation tokens; only their hashes are stored, so keep the CSV safe."""
    import csv
    from datetime import UTC, datetime

    from pydantic import ValidationError

    from service.errors import AppError, Invalid
    from service.invitations.schemas import InvitationsIn, InviteeIn
    from service.invitations.service import create_invitations
    from service.surveys.service import load_ref

    people: list[InviteeIn] | None = None
    if invitees is not None:
        if not invitees.exists():
            _fail(f"{invitees}: no such file")
        with invitees.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
        people = [InviteeIn(customer_ref=(r.pop("customer_ref", "") or "").strip() or None,
                            segments={k: v.strip() for k, v in r.items() if k and v and v.strip()})
                  for r in rows]
    try:
        body = InvitationsIn(count=count, invitees=people, expires_in_days=expires_days)
    except ValidationError as e:
        _fail("; ".join(err["msg"].removeprefix("Value error, ") for err in e.errors()))
    engine = _ready_engine()
    try:
        ref = load_ref(engine, slug)
        issued, expires_at = create_invitations(engine, ref, body.n, invitees=body.invitees,
                                                expires_in_days=body.expires_in_days)
    except Invalid as e:
        for loc, msg in e.errors:
            where = f"{invitees}:row {loc[2] + 2}" if len(loc) > 2 else str(invitees)
            typer.echo(f"{where}: {loc[-1]}: {msg}", err=True)
        raise typer.Exit(1) from None
    except AppError as e:
        _fail(e.message)
    seg_cols = sorted({k for i in issued for k in i.segments})
    expires = "" if expires_at is None else datetime.fromtimestamp(expires_at, UTC).isoformat(timespec="seconds")
    with out.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["token", "url", "customer_ref", *seg_cols, "expires_at"])
        for i in issued:
            w.writerow([i.token, base_url.rstrip("/") + i.path(ref.slug), i.customer_ref or "",
                        *(i.segments.get(c, "") for c in seg_cols), expires])
    typer.echo(f"{ref.slug}: {len(issued)} invitation(s) written to {out}")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    forwarded_allow_ips: Annotated[str, typer.Option(
        help="comma-separated addresses of reverse proxies whose X-Forwarded-For/-Proto to believe ('*': any); "
             "default none: the client address is the connection's peer")] = "",
) -> None:
    """Run the service with uvicorn (the schema must be up to date: `csi db upgrade`).

    No proxy is trusted unless named: uvicorn's own default believes ``X-Forwarded-For`` from any loopback
    client, so anyone on the machine (or a proxy that passes the header through) could pick the address the
    per-client rate limit counts, and rotating it would get around the limit.
    """
    import uvicorn

    from service.settings import get_settings
    from service.surveys.links import base_for, open_survey_urls

    engine = _ready_engine()
    base = base_for(host, port, get_settings().public_base_url)
    urls = open_survey_urls(engine, base)
    typer.echo(f"csi: serving on {base}; {len(urls)} open survey(s)" + (":" if urls else ""))
    for slug, url in urls:
        typer.echo(f"  {slug}: {url}")
    ips = forwarded_allow_ips.strip()
    uvicorn.run("service.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level="warning", proxy_headers=bool(ips), forwarded_allow_ips=ips or None)


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
        run = summarize if summary else analyze
        result = run(d, data, wave=wave, brand=brand, segment=segs or None)
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
