"""Model files on disk, shared by routing's classifier store and screening's reply scorers.

A model is deployed by writing its files under a temporary name and renaming them into place
(`atomic_write`), so a reader never sees half a file; a running process notices a deploy made
by another process by comparing the pointer file's identity (`identity`) before each use.
"""

import json
import os
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
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_version(d: Path, stem: str, model, report: dict, *, pointer: str | None) -> None:
    """`{stem}.joblib` and `{stem}.json` (its figures); then, if `pointer` names the pointer
    file, point it at `report["version"]`: the switch the running processes see."""
    atomic_write(d / f"{stem}.joblib", lambda p: joblib.dump(model, p, compress=3))
    text = json.dumps(report, ensure_ascii=False, indent=2)
    atomic_write(d / f"{stem}.json", lambda p: p.write_text(text, encoding="utf-8"))
    if pointer:
        ref = json.dumps({"version": report["version"]})
        atomic_write(d / pointer, lambda p: p.write_text(ref, encoding="utf-8"))
