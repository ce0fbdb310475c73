"""A folder build stopped any way a user or a machine stops it: the workers die with the parent, Ctrl-C ends the queue
at once, every publication in dist/ is wholly old or wholly new afterwards, and the next build tidies up after it."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

CONFIG = "publisher:\n  name: Example County Department of Public Health\n"
SHEETS = 6


def source(title: str, word: str) -> str:
    return f"---\ntitle: {title}\nlang: en\ndate: 2024-05-01\n---\n\n## About\n\nText {word}.\n"


def library(folder: Path, word: str, count: int = SHEETS) -> Path:
    """A publications folder of `count` sheets (s1 … sN), the word in each one's title and text."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "brochure.yaml").write_text(CONFIG, encoding="utf-8")
    for number in range(1, count + 1):
        (folder / f"s{number}").mkdir(exist_ok=True)
        (folder / f"s{number}" / f"s{number}.md").write_text(source(f"Sheet {number} {word}", word), encoding="utf-8")
    return folder


def fresh_cache(tmp_path: Path) -> dict[str, str]:
    """This environment with an empty cache folder of its own: every publication is rendered, so a build of a few
    takes long enough to be stopped half-way."""
    return dict(os.environ, BROCHURE_CACHE_DIR=str(Path(os.environ.get("BROCHURE_CACHE_DIR", tmp_path)) / f"fresh-{time.monotonic_ns()}"))


@pytest.fixture()
def start():  # type: ignore[no-untyped-def]
    """start(PUBS, DIST, ENV): `brochure build PUBS -o DIST -j 2 --format epub` in a session (and process group) of its
    own. Whatever of a group still runs when the test ends (it failed: orphaned workers) is killed then."""
    groups: list[int] = []

    def run(pubs: Path, dist: Path, env: dict[str, str]) -> subprocess.Popen:
        build = subprocess.Popen([sys.executable, "-m", "brochure", "build", str(pubs), "-o", str(dist), "-j", "2", "--format", "epub"],
                                 cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        groups.append(build.pid)
        return build

    yield run
    for group in groups:
        if alive_in_group(group):
            os.killpg(group, signal.SIGKILL)


def wait_for(condition, timeout: float = 120.0, what: str = "") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def alive_in_group(group: int) -> list[int]:
    """The processes of a process group that are still running (zombies waiting to be reaped are dead)."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            pids.append(int(name))
    return pids


def no_survivors(group: int, timeout: float = 5.0) -> list[int]:
    """Poll for up to `timeout` seconds until no process of the group runs; return those still running then."""
    deadline = time.monotonic() + timeout
    while alive_in_group(group) and time.monotonic() < deadline:
        time.sleep(0.02)
    return alive_in_group(group)


def built_epubs(dist: Path) -> list[str]:
    return sorted(path.name for path in dist.glob("s*/s*.epub"))


def listing(dist: Path) -> dict[str, tuple[int, int]]:
    """Every file under dist with its size and modification time."""
    return {str(path.relative_to(dist)): (path.lstat().st_size, path.lstat().st_mtime_ns) for path in sorted(dist.rglob("*"))}


def contents(dist: Path) -> dict[str, dict[str, bytes]]:
    """Each publication folder's files and their bytes."""
    return {folder.name: {path.name: path.read_bytes() for path in sorted(folder.iterdir())}
            for folder in sorted(dist.iterdir()) if folder.is_dir() and not folder.name.startswith(".")}


def stays_the_same(dist: Path, seconds: float) -> bool:
    """Whether nothing under dist changes for that long (looked at every 50 ms)."""
    before, deadline = listing(dist), time.monotonic() + seconds
    while time.monotonic() < deadline:
        if listing(dist) != before:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_the_workers_die_with_the_parent_and_write_nothing_more(tmp_path, start, stop):
    pubs, dist = library(tmp_path / "pubs", "one"), tmp_path / "dist"
    build = start(pubs, dist, fresh_cache(tmp_path))
    wait_for(lambda: built_epubs(dist), what="the first publication")
    assert build.poll() is None
    os.kill(build.pid, stop)
    build.wait(timeout=30)
    assert no_survivors(build.pid) == []
    _, err = build.communicate(timeout=30)  # (survivors would hold its pipes open)
    assert stays_the_same(dist, 1.5)
    assert len(built_epubs(dist)) < SHEETS  # stopped half-way: the queue was not worked off after the parent went
    if stop == signal.SIGKILL:
        assert build.returncode == -signal.SIGKILL
    else:
        assert build.returncode == 128 + signal.SIGTERM
        assert err.splitlines() == [line for line in err.splitlines() if line.startswith("built: ")] + [
            f"stopped by SIGTERM: {err.count('built: ')} of {SHEETS} publications built; {dist} keeps whole old or new copies"]


@pytest.mark.slow
def test_ctrl_c_stops_the_queue_at_once_and_exits_130_in_one_line(tmp_path, start):
    pubs, dist = library(tmp_path / "pubs", "one"), tmp_path / "dist"
    build = start(pubs, dist, fresh_cache(tmp_path))
    wait_for(lambda: built_epubs(dist), what="the first publication")
    assert build.poll() is None
    pressed = time.monotonic()
    os.killpg(build.pid, signal.SIGINT)  # as a terminal does: to the parent and its workers alike
    build.wait(timeout=30)
    took = time.monotonic() - pressed
    assert no_survivors(build.pid) == []
    _, err = build.communicate(timeout=30)
    assert build.returncode == 130
    assert took < 3.0, f"{took:.1f} s from Ctrl-C to exit"
    assert len(built_epubs(dist)) < SHEETS  # the queue was cancelled, not built to the end first
    assert "Traceback" not in err
    interrupted = [line for line in err.splitlines() if not line.startswith("built: ")]
    assert len(interrupted) == 1 and interrupted[0].startswith("interrupted: ") and interrupted[0].endswith(f"of {SHEETS} publications built; {dist} keeps whole old or new copies")


def some_new(new: dict[str, dict[str, bytes]], dist: Path, count: int):  # type: ignore[no-untyped-def]
    """A condition: at least `count` publication folders of dist hold their new files."""
    def reached() -> bool:
        try:
            return sum(1 for ident, files in contents(dist).items() if files == new[ident]) >= count
        except OSError:  # a folder exchanged while it was read
            return False
    return reached


def staging_started(dist: Path):  # type: ignore[no-untyped-def]
    """A condition: a publication's new folder is being written (`dist/.ID.<random>.part/`)."""
    return lambda: any(name.startswith(".s") and name.endswith(".part") for name in os.listdir(dist))


@pytest.mark.slow
def test_after_a_kill_at_any_moment_every_publication_is_wholly_old_or_wholly_new(tmp_path, start):
    pubs, old_dist, new_dist = library(tmp_path / "pubs", "OLDWORD"), tmp_path / "old", tmp_path / "new"
    assert run_cli("-q", "build", pubs, "-o", old_dist, "-j", "2", "--format", "epub", env=fresh_cache(tmp_path)).code == 0
    old = contents(old_dist)
    library(pubs, "NEWWORD")
    warm = fresh_cache(tmp_path)  # after this build, one that has the new covers and page maps
    assert run_cli("-q", "build", pubs, "-o", new_dist, "-j", "2", "--format", "epub", env=warm).code == 0
    new = contents(new_dist)
    assert all(old[ident] != new[ident] for ident in old) and all(b"NEWWORD" not in data for files in old.values() for data in files.values())
    moments = [("a publication being staged", staging_started, signal.SIGKILL), ("one publication new", lambda d: some_new(new, d, 1), signal.SIGKILL),
               ("three publications new", lambda d: some_new(new, d, 3), signal.SIGTERM)]
    for number, (moment, condition, stop) in enumerate(moments):
        dist = tmp_path / f"dist-{number}"
        shutil.copytree(old_dist, dist, symlinks=True)
        build = start(pubs, dist, fresh_cache(tmp_path))
        wait_for(condition(dist), what=moment)
        assert build.poll() is None, f"the build ended before {moment}"
        os.kill(build.pid, stop)
        build.wait(timeout=30)
        assert no_survivors(build.pid) == [], moment
        build.communicate(timeout=30)
        after = contents(dist)
        assert sorted(after) == sorted(old), f"a publication folder is missing after a kill at {moment}"
        mixed = [ident for ident, files in after.items() if files not in (old[ident], new[ident])]
        assert mixed == [], f"neither wholly old nor wholly new after a kill at {moment}"
    # the next build: every leftover of the builder goes (those of the kills, and some made here), nothing else does
    dist = tmp_path / "dist-0"
    (dist / ".s1.abcd1234.part").mkdir(exist_ok=True)
    (dist / ".s1.abcd1234.part" / "s1.epub").write_bytes(b"half")
    (dist / ".index.html.k2j3h4g5.part").write_bytes(b"half")
    (dist / "s2" / ".s2.epub.zz9_zz9z.part").write_bytes(b"half")  # an older builder's, inside a publication's folder
    (dist / "notes.txt").write_text("mine", encoding="utf-8")
    (dist / "s1" / "notes.txt").write_text("mine too", encoding="utf-8")
    (dist / "drafts.part").write_text("not the builder's name pattern", encoding="utf-8")
    result = run_cli("build", pubs, "-o", dist, "-j", "2", "--format", "epub", env=warm)
    assert result.code == 0, result.err
    assert sorted(str(path.relative_to(dist)) for path in dist.rglob("*.part")) == ["drafts.part"]
    assert (dist / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (dist / "s1" / "notes.txt").read_text(encoding="utf-8") == "mine too"
    assert {ident: {name: data for name, data in files.items() if name != "notes.txt"} for ident, files in contents(dist).items()} == new


@pytest.mark.slow
def test_a_build_with_nothing_to_do_still_removes_leftovers_and_nothing_else(tmp_path):
    pubs, dist = library(tmp_path / "pubs", "one", count=2), tmp_path / "dist"
    assert run_cli("-q", "build", pubs, "-o", dist, "--format", "epub").code == 0
    leftovers = [dist / ".s1.q8w7e6r5.part", dist / ".catalog.xml.abcdefgh.part", dist / "s1" / ".cover.png.12345678.part"]
    leftovers[0].mkdir()
    for path in leftovers[1:]:
        path.write_bytes(b"half")
    keep = [dist / "README.txt", dist / ".s1.part", dist / "s1.12345678.part", dist / "s2" / "errata.txt"]
    for path in keep:
        path.write_text("mine", encoding="utf-8")
    result = run_cli("build", pubs, "-o", dist, "--format", "epub")
    assert "0 built, 2 unchanged" in result.out, result.err
    assert [path for path in leftovers if path.exists()] == []
    assert [path.read_text(encoding="utf-8") for path in keep] == ["mine"] * len(keep)


@pytest.mark.slow
def test_readers_never_find_an_edition_missing_while_its_publication_is_replaced(tmp_path):
    pubs, dist = library(tmp_path / "pubs", "one", count=1), tmp_path / "dist"
    assert run_cli("-q", "build", pubs, "-o", dist, "--format", "epub").code == 0
    editions = [dist / "s1" / name for name in ("s1.epub", "cover.png", "cover-thumb.png")]
    missing: list[str] = []
    looks = 0
    done = threading.Event()

    def read() -> None:
        nonlocal looks
        while not done.is_set():
            missing.extend(path.name for path in editions if not path.is_file())
            looks += 1

    reader = threading.Thread(target=read)
    reader.start()
    try:
        written = set()
        for _ in range(3):
            assert run_cli("-q", "build", pubs, "-o", dist, "--format", "epub", "--force").code == 0
            written.add(editions[0].stat().st_mtime_ns)
    finally:
        done.set()
        reader.join()
    assert len(written) == 3  # each build put new files in place
    assert looks > 100 and missing == []


@pytest.mark.slow
def test_the_manifest_names_sources_inside_the_folder_and_no_path_of_this_machine(tmp_path):
    pubs, dist = library(tmp_path / "pubs", "one", count=2), tmp_path / "dist"
    assert run_cli("-q", "build", pubs, "-o", dist, "--format", "epub").code == 0
    manifest = dist / ".manifest.json"
    text = manifest.read_text(encoding="utf-8")
    assert str(tmp_path) not in text and str(ROOT) not in text
    entries = json.loads(text)
    assert sorted(entries) == ["s1/s1.md", "s2/s2.md"]
    assert [entry["record"]["source"] for _, entry in sorted(entries.items())] == ["s1/s1.md", "s2/s2.md"]
    # an older builder's manifest (absolute paths as keys), or a damaged one, is stale: everything is rebuilt
    for stale in (json.dumps({str(pubs / key): entry for key, entry in entries.items()}), "[1, 2]", '{"s1/s1.md": "x", "s2/s2.md": {"hash": 1}}'):
        manifest.write_text(stale, encoding="utf-8")
        result = run_cli("build", pubs, "-o", dist, "--format", "epub")
        assert (result.code, "Traceback" in result.err) == (0, False), result.err
        assert "2 built, 0 unchanged" in result.out
        assert json.loads(manifest.read_text(encoding="utf-8")) == entries
    assert "0 built, 2 unchanged" in run_cli("build", pubs, "-o", dist, "--format", "epub").out
