"""Model files on disk, shared by routing's classifier store and screening's reply scorers.

A model is deployed by writing its files under a temporary name and renaming them into place
(`atomic_write`), so a reader never sees half a file; a running process notices a deploy made
by another process by comparing the pointer file's identity (`identity`) before each use.
A new version's number is claimed by creating a claim file exclusively (`save_new_version`), so
two retrains running at once (the worker's weekly job and an admin's `hotline retrain`) never
take the same number and never write over each other's files.
"""

import json
import os
import re
import tempfile
from pathlib import Path

import joblib
from django.conf import settings


def folder(setting: str, env: str, default: Path) -> Path:
    """The configured folder (the Django setting, else the environment variable) or `default`."""
    configured = getattr(settings, setting, None) or os.environ.get(env)
    return Path(configured) if configured else default


def identity(pointer: Path) -> tuple:
    """Changes whenever the file is replaced: a rename gives it a new inode even within one
    mtime tick."""
    try:
        st = pointer.stat()
    except FileNotFoundError:
        return (str(pointer), None)
    return (str(pointer), st.st_ino, st.st_mtime_ns, st.st_size)


def atomic_write(path: Path, write) -> None:
    """`write(tmp_path)` then rename over `path` (atomic on one file system)."""
    # A unique temporary name: two threads of one process may write the same pointer at once.
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the model from a server of another user
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def claim_version(d: Path, prefix: str, *, floor: int = 0) -> int:
    """The next version number after every `{prefix}-vN.*` in `d` (and `floor`), reserved by
    creating `{prefix}-vN.claim` with O_CREAT | O_EXCL: of two processes that see the same
    highest number, only one creates the claim; the other tries the number after it."""
    taken = re.compile(rf"^{re.escape(prefix)}-v(\d+)\.(joblib|json|claim)$")
    while True:
        numbers = [int(m.group(1)) for p in d.iterdir() if (m := taken.match(p.name))]
        n = max([floor, *numbers]) + 1
        try:
            fd = os.open(d / f"{prefix}-v{n}.claim", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            continue
        os.close(fd)
        return n


def write_version(d: Path, stem: str, model, report: dict, *, pointer: str | None) -> None:
    """`{stem}.joblib` and `{stem}.json` (its figures); then, if `pointer` names the pointer
    file, point it at `report["version"]`: the switch the running processes see."""
    atomic_write(d / f"{stem}.joblib", lambda p: joblib.dump(model, p, compress=3))
    text = json.dumps(report, ensure_ascii=False, indent=2)
    atomic_write(d / f"{stem}.json", lambda p: p.write_text(text, encoding="utf-8"))
    if pointer:
        ref = json.dumps({"version": report["version"]})
        atomic_write(d / pointer, lambda p: p.write_text(ref, encoding="utf-8"))


def save_new_version(d: Path, prefix: str, model, report: dict, *, pointer: str | None,
                     floor: int = 0) -> str:  # fmt: skip
    """Claim the next version number, write `{prefix}-vN` with `report` (plus its version) and
    point `pointer` at it if given; returns "vN". The claim file goes once the figures file is
    in place (it then holds the number); a crash before leaves the claim and the number unused."""
    d.mkdir(parents=True, exist_ok=True)
    n = claim_version(d, prefix, floor=floor)
    version = f"v{n}"
    write_version(d, f"{prefix}-{version}", model, {**report, "version": version}, pointer=pointer)
    (d / f"{prefix}-{version}.claim").unlink(missing_ok=True)
    return version
