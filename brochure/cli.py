"""Command line: argument parsing and printing only. main(argv) -> exit status."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from brochure import __version__
from brochure.errors import BrochureError

FORMAT_CHOICES = ("pdf", "epub", "print", "kepub", "kindle", "large")


class _Formatter(logging.Formatter):
    """'warning: pml.md:12: message' on stderr; counts the 'error:' lines it prints (a run that printed one never
    exits 0)."""

    errors = 0

    def format(self, record: logging.LogRecord) -> str:
        if record.levelno >= logging.ERROR:
            _Formatter.errors += 1
            return f"error: {record.getMessage()}"
        return f"{record.levelname.lower()}: {record.getMessage()}"


class _Strict(logging.Filter):
    """--strict: a warning of the builder's own stops the build as an error, before anything is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and record.name.startswith("brochure"):
            raise StrictError(f"{record.getMessage()} (--strict makes warnings errors)")
        return True


class StrictError(BrochureError):
    """A warning under --strict."""


def _setup_logging(quiet: bool, verbose: bool, strict: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    if strict:
        handler.addFilter(_Strict())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.ERROR if quiet else logging.DEBUG if verbose else logging.WARNING)
    # WeasyPrint's own messages (CSS it ignores, an anchor it cannot find, an image without alt) are about the HTML we
    # made, not lines of the source: the reader and the sanitiser report each of those with file and line already.
    logging.getLogger("weasyprint").setLevel(logging.WARNING if verbose else logging.CRITICAL)
    logging.getLogger("fontTools").setLevel(logging.ERROR)


def _quantity(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) <= 10_000_000:
        raise argparse.ArgumentTypeError(f"a whole number of copies from 1 to 10000000, not {value!r}")
    return int(value)


def _formats(value: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in value.split(",") if part.strip())
    unknown = [name for name in names if name not in FORMAT_CHOICES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown format {', '.join(unknown) or value!r} (use {', '.join(FORMAT_CHOICES)})")
    return names


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of parallel builds (a whole number, 1 or more)")
    return jobs


EXAMPLES = """examples:
  brochure build publications/pml/pml.md             download PDF and EPUB into dist/pml/
  brochure build publications/pml/pml.md --format print   the print PDF, booklet and job ticket
  brochure build publications/pml/pml.md --format kepub,kindle,large   Kobo and Kindle e-books, large print
  brochure build publications                        every publication under the folder, and the catalog, into dist/
  brochure build publications/pml/pml.md --check     every validator; any finding fails and nothing is written
  brochure watch publications/pml/pml.md             rebuild on each change, preview on http://127.0.0.1:8000
  brochure new lyme-disease --title "Lyme Disease"   start a publication in publications/lyme-disease/
  brochure init --name "Example County Health"       write a brochure.yaml here, every key explained
"""


class _SubcommandParser(argparse.ArgumentParser):
    """A sub-command's parser: it takes -q and -v too (`brochure build SOURCE -q`), as pip and pytest do; left out,
    they keep the value given before the sub-command."""

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="print errors only")
        self.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="print more, WeasyPrint's warnings too")
        _shared_options(self, argparse.SUPPRESS)


def _shared_options(parser: argparse.ArgumentParser, default: object) -> None:
    """Options that mean the same before and after the sub-command."""
    parser.add_argument("--strict", action="store_true", default=default if default is argparse.SUPPRESS else False,
                        help="treat warnings as errors: the first one stops the build (exit 2), nothing is written")
    parser.add_argument("--cache-dir", type=Path, default=default if default is argparse.SUPPRESS else None,
                        help="keep caches here (default: BROCHURE_CACHE_DIR, else the user's cache folder)")


def parser() -> argparse.ArgumentParser:
    """The `brochure` command and its subcommands."""
    top = argparse.ArgumentParser(prog="brochure", description="Build printable publications from Markdown.",
                                  epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    top.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    top.add_argument("-v", "--verbose", action="store_true", help="print more, WeasyPrint's warnings too")
    _shared_options(top, None)
    sub = top.add_subparsers(dest="command", required=True, parser_class=_SubcommandParser)
    build = sub.add_parser("build", help="build the editions of a publication")
    build.add_argument("source", type=Path, help="a publication's Markdown file, or a folder of publications (publications/<id>/<id>.md)")
    build.add_argument("-o", "--outdir", type=Path, help="output folder (default: dist/STEM for a file, dist for a folder)")
    build.add_argument("--format", type=_formats, default=None, help="comma-separated editions: pdf, epub, print (print PDF, booklet, press sheets, job ticket), kepub (Kobo), kindle (EPUB for Send-to-Kindle), large (large-print PDF) (default: pdf,epub for a file, all for a folder)")
    build.add_argument("-j", "--jobs", type=_jobs, default=None, help="parallel builds for a folder (default: all cores)")
    build.add_argument("--force", action="store_true", help="rebuild every publication of a folder, changed or not")
    build.add_argument("--quantity", type=_quantity, default=None, help="copies to print: the job ticket's quantity (default: brochure.yaml print.quantity)")
    build.add_argument("--check", action="store_true", help="run every validator (EPUBCheck, Nu, Ace, PDF tags, veraPDF PDF/UA-1, contrast); any finding fails and nothing is written")
    plain = sub.add_parser("check", help="plain-language report of a source: sentences, words, and a readability score per section (Flesch–Kincaid for English, Szigriszt-Pazos for Spanish)")
    plain.add_argument("source", type=Path, help="a publication's Markdown file")
    plain.add_argument("--max-grade", type=float, default=None, help="fail (exit 1) when a section's grade is above N")
    check = sub.add_parser("preflight", help="check a print PDF as a print shop would")
    check.add_argument("pdf", help="the print PDF")
    check.add_argument("--flat", action="store_true", help="a flat sheet: no saddle-stitch page-count check")
    check.add_argument("--min-ppi", type=int, default=300, help="warn below this image resolution (default 300)")
    _authoring_parsers(sub)
    _order_parsers(sub)
    return top


def _order_parsers(sub) -> None:  # type: ignore[no-untyped-def]
    """`brochure serve` and `brochure orders list|export` (brochure/orders)."""
    database = {"default": None, "help": "SQLAlchemy URL of the orders database, e.g. postgresql://user@host/db (default: BROCHURE_DATABASE_URL, else orders.sqlite3 here)"}
    serve = sub.add_parser("serve", help="serve a built catalog and take orders for printed copies")
    serve.add_argument("dist", type=Path, help="the built catalog (brochure build publications -o DIST)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.add_argument("--database", **database)
    serve.add_argument("--rate-limit", type=int, default=60, help="requests that post an order or a form per minute per client (default 60; 0: no limit)")
    orders = sub.add_parser("orders", help="the orders for printed copies: list them, export a print run")
    verbs = orders.add_subparsers(dest="orders_command", required=True, parser_class=_SubcommandParser)
    listing = verbs.add_parser("list", help="one line per order: number, date, print run, copies (no addresses)")
    listing.add_argument("--database", **database)
    listing.add_argument("--pending", action="store_true", help="only the orders no print run has taken")
    export = verbs.add_parser("export", help="write the next print run: print-run.json, job tickets, packing-list.csv, labels.pdf")
    export.add_argument("--database", **database)
    export.add_argument("-o", "--outdir", type=Path, required=True, help="a new folder for the print run's files")
    export.add_argument("--dist", type=Path, default=Path("dist"), help="the built catalog whose job tickets the run copies (default dist)")


def _authoring_parsers(sub) -> None:  # type: ignore[no-untyped-def]
    """`brochure new`, `brochure init` and `brochure watch`."""
    init = sub.add_parser("init", help="write a brochure.yaml (publisher, brand, print settings) with every key explained")
    init.add_argument("folder", type=Path, nargs="?", default=Path("."), help="where to write it (default: the current folder)")
    init.add_argument("--name", required=True, help="the publisher's name, as the cover and the metadata show it")
    new = sub.add_parser("new", help="start a new publication folder with front matter and a starter text")
    new.add_argument("slug", help="the publication's id: lower-case letters, digits and hyphens (e.g. lyme-disease)")
    new.add_argument("--title", required=True, help="the publication's title")
    new.add_argument("--lang", choices=("en", "es"), default="en", help="language of the text (default en)")
    new.add_argument("--dir", type=Path, default=Path("publications"), help="the publications folder (default publications)")
    watch = sub.add_parser("watch", help="rebuild a publication on every change and serve a live preview on 127.0.0.1")
    watch.add_argument("source", type=Path, help="the publication's Markdown file")
    watch.add_argument("-o", "--outdir", type=Path, help="output folder (default: dist/STEM)")
    watch.add_argument("--format", type=_formats, default=("pdf", "epub"), help="comma-separated editions: pdf, epub, print, kepub, kindle, large (default: pdf,epub)")
    watch.add_argument("--port", type=int, default=8000, help="preview port on 127.0.0.1 (default 8000; 0 picks a free one)")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status: 0 done, 1 a check failed (or a builder bug), 2 bad input,
    130 or 143 stopped by a signal. Any "error:" line printed means a status other than 0."""
    args = parser().parse_args(argv)
    _setup_logging(args.quiet, args.verbose, args.strict)
    if args.cache_dir is not None:
        from brochure import cache

        cache.use(args.cache_dir)
    _Formatter.errors = 0
    try:
        code = _run(args)
        return 2 if code == 0 and _Formatter.errors else code  # a library's logged error (an image it could not load)
    except BrochureError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt as stop:  # Ctrl-C; a folder build's batch.Stopped also by SIGTERM, saying how far it got
        print(str(stop) or "interrupted", file=sys.stderr)
        return getattr(stop, "exit_code", 130)
    except Exception as err:  # a builder bug: one line (the traceback with -v), never a wall of text
        if args.verbose:
            raise
        where = f"{args.source}: " if getattr(args, "source", None) else ""
        print(f"error: {where}internal error ({type(err).__name__}: {err}); please report it with this source (-v shows the traceback)", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    if args.command == "preflight":
        from brochure.checks.preflight import main as preflight_main

        return preflight_main([args.pdf, "--min-ppi", str(args.min_ppi)] + (["--flat"] if args.flat else []))
    if args.command == "check":
        return _plain_language(args)
    if args.command in ("new", "init", "watch"):
        return _run_authoring(args)
    if args.command in ("serve", "orders"):
        from brochure.orders import serve

        if args.command == "serve":
            return serve.serve(args.dist, args.host, args.port, args.database, args.rate_limit)
        if args.orders_command == "list":
            return serve.list_orders(args.database, args.pending)
        return serve.export(args.database, args.dist, args.outdir)
    if args.command == "build" and args.source.is_dir() and args.source.suffix != ".md":
        if args.check:
            print("error: --check builds one publication (a .md file), not a folder", file=sys.stderr)
            return 2
        if args.quantity:  # never silently ignored: each title's copies differ (brochure orders export sets them)
            print("error: --quantity sets one publication's job ticket; for a folder, set print.quantity in brochure.yaml "
                  "(or take the copies ordered with `brochure orders export`)", file=sys.stderr)
            return 2
        return _build_folder(args)
    if args.command == "build":
        if args.check:
            from brochure.checks.gate import build_checked as build
        else:
            from brochure.build import build

        formats = args.format or ("pdf", "epub")
        if args.check and args.quantity:
            print("error: --quantity is for a build's job ticket; --check writes the editions brochure.yaml describes", file=sys.stderr)
            return 2
        built = build(args.source, args.outdir, formats, **({"quantity": args.quantity} if args.quantity else {}))
        if not args.quiet:
            from brochure.checks.readability import summary_line

            for path in built.paths:
                print(path)
            if args.check:
                from brochure.checks.gate import checks_for

                print(f"check: no findings from {', '.join(checks_for(formats))}")
            print(summary_line(built.publication))
        return 0
    return 2


def _plain_language(args: argparse.Namespace) -> int:
    """`brochure check SOURCE.md [--max-grade N]`: print the readability report; exit 1 above the grade."""
    from brochure.checks.readability import FORMULAS, publication_report
    from brochure.source.reader import read_publication

    pub = read_publication(args.source)
    report = publication_report(pub, args.max_grade if args.max_grade is not None else 8.0)
    if report is None:
        print(f"{args.source}: readability not measured (the report has formulas for {', '.join(FORMULAS)}; this is {pub.metadata.lang})")
        return 0
    print(report.format())
    above = report.above(args.max_grade) if args.max_grade is not None else []
    for section in above:
        print(f"error: {args.source.name}: section “{section.title}” reads at grade {section.grade:.1f}, above {args.max_grade:g}", file=sys.stderr)
    return 1 if above else 0


def _run_authoring(args: argparse.Namespace) -> int:
    """Scaffold a publication, or watch one until Ctrl-C."""
    if args.command == "new":
        from brochure.authoring.scaffold import new_publication

        path = new_publication(args.slug, args.title, args.lang, args.dir)
        if not args.quiet:
            print(path)
        return 0
    if args.command == "init":
        from brochure.authoring.scaffold import new_config

        path = new_config(args.folder, args.name)
        if not args.quiet:
            print(path)
        return 0
    from brochure.authoring.watch import watch

    return watch(args.source, args.outdir or Path("dist") / args.source.stem, args.format, args.port)


def _build_folder(args: argparse.Namespace) -> int:
    """Build every publication under a folder, then the catalog; one bad publication does not stop the rest."""
    from brochure import batch

    sources = batch.find_sources(args.source)
    show = _progress(len(sources), args.quiet)
    with show as report:
        outcomes = batch.build_all(args.source, args.outdir or Path("dist"), args.jobs or batch.default_jobs(), args.force,
                                   args.format or batch.ALL_FORMATS, progress=report, summarise=not args.quiet)
    failed = [o for o in outcomes if o.error]
    for outcome in failed:
        print(f"error: {outcome.error}", file=sys.stderr)
    if not args.quiet:
        for outcome in outcomes:
            if outcome.readability:
                print(f"{outcome.source}: {outcome.readability}")
        built = sum(1 for o in outcomes if o.record and not o.skipped)
        skipped = sum(1 for o in outcomes if o.skipped)
        print(f"{built} built, {skipped} unchanged, {len(failed)} failed; catalog: {(args.outdir or Path('dist')) / 'index.html'}")
    return 2 if failed else 0


class _progress:
    """A progress bar on a terminal, one line per publication otherwise, nothing with -q."""

    def __init__(self, total: int, quiet: bool):
        self.total, self.quiet, self.bar = total, quiet, None

    def __enter__(self):  # type: ignore[no-untyped-def]
        if not self.quiet and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)  # on stderr, beside the log it replaces
            self.bar.start()
            self.task = self.bar.add_task("building", total=self.total)
        return self.report

    def report(self, outcome) -> None:  # type: ignore[no-untyped-def]
        if self.bar is not None:
            self.bar.advance(self.task)
        elif not self.quiet:
            state = "unchanged" if outcome.skipped else "failed" if outcome.error else "built"
            print(f"{state}: {outcome.source}", file=sys.stderr, flush=True)

    def __exit__(self, *exc) -> None:  # type: ignore[no-untyped-def]
        if self.bar is not None:
            self.bar.stop()


def pdf_main(argv: list[str] | None = None) -> int:
    """build_pdf.py SOURCE.md -o OUTDIR [--edition download|print]."""
    entry = argparse.ArgumentParser(prog="build_pdf.py", description="Build a publication's PDF edition.")
    entry.add_argument("source", help="the publication's Markdown file")
    entry.add_argument("-o", "--outdir", help="output folder (default: dist/STEM)")
    entry.add_argument("--edition", choices=("download", "print"), default="download", help="download PDF (default) or print edition")
    args = entry.parse_args(argv)
    forward = ["build", args.source, "--format", "print" if args.edition == "print" else "pdf"]
    return main(forward + (["-o", args.outdir] if args.outdir else []))


def epub_main(argv: list[str] | None = None) -> int:
    """build_epub.py SOURCE.md -o OUTDIR."""
    entry = argparse.ArgumentParser(prog="build_epub.py", description="Build a publication's EPUB edition.")
    entry.add_argument("source", help="the publication's Markdown file")
    entry.add_argument("-o", "--outdir", help="output folder (default: dist/STEM)")
    args = entry.parse_args(argv)
    return main(["build", args.source, "--format", "epub"] + (["-o", args.outdir] if args.outdir else []))
