"""Versioned reply scorers: `reply-vN.joblib` with `reply-vN.json` (its figures), and
`reply-current.json` naming the one in use; without a pointer the scorer shipped in the package
(`models_store/reply-v1.joblib`) is the active one.

The directory is `settings.REPLY_MODEL_DIR` or env `HOTLINE_REPLY_MODEL_DIR`, else the package's
`models_store/`. Files are written under a temporary name and renamed into place, so a reader
never sees half a file; every process compares the pointer's identity on each use and loads a
newly deployed scorer on its next review, without a restart. Files are pickles: load only what
this product wrote into its own directory.
"""

import json
import re
import threading
from pathlib import Path

import joblib

from hotline import modelfiles

PACKAGE_DIR = Path(__file__).resolve().parent / "models_store"
SHIPPED = PACKAGE_DIR / "reply-v1.joblib"
POINTER = "reply-current.json"
_VERSION = re.compile(r"^reply-v(\d+)\.(joblib|json)$")

_lock = threading.Lock()
_loaded: tuple[tuple, str, object] | None = None  # (pointer identity, version, scorer)


def store_dir() -> Path:
    return modelfiles.folder("REPLY_MODEL_DIR", "HOTLINE_REPLY_MODEL_DIR", PACKAGE_DIR)


def current_version(d: Path | None = None) -> str | None:
    d = d or store_dir()
    pointer = d / POINTER
    if pointer.exists():
        return json.loads(pointer.read_text(encoding="utf-8"))["version"]
    return "v1" if SHIPPED.exists() else None


def _file(version: str, d: Path) -> Path:
    path = d / f"reply-{version}.joblib"
    return path if path.exists() or version != "v1" else SHIPPED


def load_version(version: str, d: Path | None = None):
    return joblib.load(_file(version, d or store_dir()))


def active():
    """(version, scorer) in use, reloaded when another process deployed a new one; or None."""
    global _loaded
    d = store_dir()
    key = modelfiles.identity(d / POINTER)
    if _loaded is not None and _loaded[0] == key:
        return _loaded[1], _loaded[2]
    with _lock:
        version = current_version(d)
        if version is None:
            return None
        _loaded = (key, version, load_version(version, d))
    return _loaded[1], _loaded[2]


def next_version(d: Path) -> str:
    numbers = [int(m.group(1)) for p in d.glob("reply-v*") if (m := _VERSION.match(p.name))]
    if SHIPPED.exists():
        numbers.append(1)  # the shipped scorer is v1 wherever the store lives
    return f"v{max(numbers, default=0) + 1}"


def save(scorer, figures: dict, *, deploy: bool) -> str:
    """Write a new version with its figures; point the store at it when `deploy`."""
    d = store_dir()
    d.mkdir(parents=True, exist_ok=True)
    version = next_version(d)
    figures = {**figures, "version": version}
    modelfiles.write_version(
        d, f"reply-{version}", scorer, figures, pointer=POINTER if deploy else None
    )
    return version


def reset() -> None:
    global _loaded
    _loaded = None
