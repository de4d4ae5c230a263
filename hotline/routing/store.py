"""Versioned model files: `classifier-vN.joblib` with `classifier-vN.json` (its metrics), and
`current.json` naming the one in use. The classifier is loaded once per process, lazily.

The directory is `settings.ROUTING_MODEL_DIR` or env `HOTLINE_ROUTING_MODEL_DIR`, else the
`models_store/` folder shipped in the package (so a fresh machine classifies out of the box).
Files are written under a temporary name and renamed into place, so a reader never sees half a
file; every process compares the pointer's identity (inode, mtime, size) on each use and loads
a newly deployed model on its next classification, without a restart.
Files are pickles: load only what this product wrote into its own directory.
"""

import json
import re
import threading
from pathlib import Path

import joblib

from hotline import modelfiles

from .classifier import TextClassifier

PACKAGE_DIR = Path(__file__).resolve().parent / "models_store"
_VERSION = re.compile(r"^classifier-v(\d+)\.(joblib|json)$")

_lock = threading.Lock()
_loaded: tuple[tuple, str, TextClassifier] | None = None  # (pointer identity, version, model)


def store_dir() -> Path:
    return modelfiles.folder("ROUTING_MODEL_DIR", "HOTLINE_ROUTING_MODEL_DIR", PACKAGE_DIR)


def current_version(directory: Path | None = None) -> str | None:
    pointer = (directory or store_dir()) / "current.json"
    if not pointer.exists():
        return None
    return json.loads(pointer.read_text(encoding="utf-8")).get("version")


def metrics(version: str, directory: Path | None = None) -> dict:
    path = (directory or store_dir()) / f"classifier-{version}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def load(version: str, directory: Path | None = None) -> TextClassifier:
    return joblib.load((directory or store_dir()) / f"classifier-{version}.joblib")


def save(model: TextClassifier, report: dict, *, make_current: bool, keep: int = 2) -> str:
    """Write a new version with its metrics; point `current.json` at it if asked."""
    d = store_dir()
    pointer = "current.json" if make_current else None
    # The number is claimed exclusively: two retrains at once get two versions.
    version = modelfiles.save_new_version(d, "classifier", model, report, pointer=pointer)
    if make_current:
        reset()
    _prune(d, keep, current_version(d))
    return version


def _prune(d: Path, keep: int, current: str | None) -> None:
    """Keep the newest `keep` model files (and the current one): the repository ships them.

    Metrics files stay: they are the small history of what each version scored.
    """
    versions = sorted(
        (int(m.group(1)) for p in d.glob("classifier-v*.joblib") if (m := _VERSION.match(p.name))),
        reverse=True,
    )
    for n in versions[keep:]:
        if f"v{n}" != current:
            (d / f"classifier-v{n}.joblib").unlink(missing_ok=True)


def classifier() -> tuple[str, TextClassifier] | None:
    """The current classifier and its version, loaded on first use; None without a model."""
    global _loaded
    d = store_dir()
    key = modelfiles.identity(d / "current.json")
    if _loaded is not None and _loaded[0] == key:
        return _loaded[1], _loaded[2]
    with _lock:
        if _loaded is None or _loaded[0] != key:
            version = current_version(d)
            if version is None:
                return None
            _loaded = (key, version, load(version, d))
    return _loaded[1], _loaded[2]


def reset() -> None:
    """Forget the loaded model (after training, or when a test points elsewhere)."""
    global _loaded
    _loaded = None
