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
import threading
from pathlib import Path

import joblib

from hotline import modelfiles

PACKAGE_DIR = Path(__file__).resolve().parent / "models_store"
SHIPPED = PACKAGE_DIR / "reply-v1.joblib"
POINTER = "reply-current.json"

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


def save(scorer, figures: dict, *, deploy: bool) -> str:
    """Write a new version with its figures; point the store at it when `deploy`. The number is
    claimed exclusively (modelfiles.save_new_version): two retrains at once get two versions."""
    floor = 1 if SHIPPED.exists() else 0  # the shipped scorer is v1 wherever the store lives
    pointer = POINTER if deploy else None
    return modelfiles.save_new_version(store_dir(), "reply", scorer, figures, pointer=pointer,
                                       floor=floor)  # fmt: skip


def reset() -> None:
    global _loaded
    _loaded = None
