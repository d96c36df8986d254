"""Firmware archive build speed: a local repository of N files, packed as zip, tar and tgz.

Measures the path every firmware download takes after the database work:
``git archive`` of the target commit, ``.pepeignore`` filtering and packing in
memory. Prints milliseconds per archive (median of several runs) and sizes.

    .venv/bin/python -m bench.unit_firmware [files] [kilobytes per file]
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pepeunit.git import LocalRepository
from pepeunit.services.unit_firmware import Entry, repository_entries, to_tar, to_tgz, to_zip
from tests.helpers import git


def build(root: Path, files: int, kilobytes: int) -> Path:
    work = root / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    for i in range(files):
        path = work / f"pkg{i % 20}" / f"file{i}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(os.urandom(kilobytes * 512).hex().encode())
    (work / ".pepeignore").write_text(".pepeignore\npkg19/\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "bench")
    return work


def timed(fn, runs: int = 7) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), result


def main() -> None:
    files = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    kilobytes = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    with tempfile.TemporaryDirectory() as tmp:
        work = build(Path(tmp), files, kilobytes)
        clone = LocalRepository.clone(f"file://{work}", Path(tmp) / "clone")
        sha = clone.commits("main")[0].commit
        extra = [Entry("env.json", "file", b"{}"), Entry("schema.json", "file", b"{}")]

        def entries():
            return extra + repository_entries(clone.tar(sha), clone.read_file(sha, ".pepeignore"))

        ms, items = timed(entries)
        print(f"repository: {files} files x {kilobytes} KB; {len(items)} entries after .pepeignore")
        print(f"git archive + filter: {ms:8.1f} ms")
        for name, pack in (("tar", to_tar), ("zip", to_zip), ("tgz wbits=9 level=9", lambda e: to_tgz(e, 9, 9))):
            ms, data = timed(lambda pack=pack: pack(items))
            print(f"{name:22s}{ms:8.1f} ms  {len(data) / 1e6:6.2f} MB")


if __name__ == "__main__":
    main()
