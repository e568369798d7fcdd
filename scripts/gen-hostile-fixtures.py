#!/usr/bin/env python3
"""Writes the hostile chart archives of fixtures/hostile/archives/ (one per class of bad input the
loader refuses; see book/src/sandbox.md). They are committed, and this script makes them again,
byte for byte given the same zlib: gzip header time 0, fixed tar header fields.

They cannot be written with `chartsmith package` or an ordinary `tar`, which refuse or rewrite
such names: the tar headers are written here by hand (Python's tarfile writes names as given).

    python3 scripts/gen-hostile-fixtures.py
"""

import gzip
import io
import os
import tarfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "fixtures", "hostile", "archives")

CHART = b"apiVersion: v2\nname: demo\nversion: 1.0.0\n"
CONFIGMAP = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n"


def tar_bytes(entries):
    """A tar of (name, data) regular files, or (name, None) directories, names unchanged."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                info.mode = 0o644
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def tgz(entries):
    return gzip.compress(tar_bytes(entries), compresslevel=9, mtime=0)


def chart(*extra):
    return [("demo/Chart.yaml", CHART), ("demo/templates/cm.yaml", CONFIGMAP), *extra]


def archives():
    good = tgz(chart())
    yield "two-top-level-directories.tgz", tgz(chart(("other/values.yaml", b"a: 1\n")))
    # A second Chart.yaml later in the archive: unpacking keeps the last, loading the first.
    yield "duplicate-entry.tgz", tgz(
        chart(("demo/Chart.yaml", b"apiVersion: v2\nname: demo\nversion: 6.6.6\n"))
    )
    yield "windows-drive-letter.tgz", tgz(chart(("C:\\Windows\\evil.yaml", b"x")))
    yield "windows-unc-path.tgz", tgz(chart(("\\\\server\\share\\evil.yaml", b"x")))
    yield "backslash-dot-dot.tgz", tgz(chart(("demo\\..\\..\\evil.yaml", b"x")))
    yield "dot-slash-absolute.tgz", tgz(chart((".//etc/evil.yaml", b"x")))
    yield "escape-sequence-in-entry-name.tgz", tgz(
        chart(("demo/\x1b[2J\x1b]0;pwned\x07.yaml", b"x"))
    )
    # The CRC-32 of the uncompressed data (8 bytes before the end) flipped: the data decompresses,
    # only the trailer says it is not what was packed.
    bad_crc = bytearray(good)
    bad_crc[-8] ^= 0xFF
    yield "bad-gzip-crc.tgz", bytes(bad_crc)
    # The length trailer cut off.
    yield "truncated-gzip-trailer.tgz", good[:-4]
    yield "garbage-after-gzip.tgz", good + b"\x7fELF"
    # Dependencies vendored inside an archive get the checks of a chart directory.
    yield "dependency-file-outside.tgz", tgz(
        [
            (
                "demo/Chart.yaml",
                CHART
                + b"dependencies:\n  - name: etc\n    version: 1.0.0\n    repository: file:///etc\n",
            ),
        ]
    )
    yield "dependency-invalid-alias.tgz", tgz(
        [
            (
                "demo/Chart.yaml",
                CHART
                + b"dependencies:\n  - name: db\n    version: 1.0.0\n    alias: ../db\n",
            ),
            ("demo/charts/db/Chart.yaml", b"apiVersion: v2\nname: db\nversion: 1.0.0\n"),
        ]
    )
    yield "dependency-duplicate-name.tgz", tgz(
        [
            (
                "demo/Chart.yaml",
                CHART
                + b"dependencies:\n  - name: db\n    version: 1.0.0\n  - name: cache\n    version: 1.0.0\n    alias: db\n",
            ),
            ("demo/charts/db/Chart.yaml", b"apiVersion: v2\nname: db\nversion: 1.0.0\n"),
            ("demo/charts/cache/Chart.yaml", b"apiVersion: v2\nname: cache\nversion: 1.0.0\n"),
        ]
    )


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in archives():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        print(f"wrote fixtures/hostile/archives/{name} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
