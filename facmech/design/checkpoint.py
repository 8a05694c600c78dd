"""Checkpoints: a long design study saves each finished task and resumes after an interruption.

The file is JSON lines: a header with the study's fingerprint (a hash of everything that determines
the numbers: scenario, grid, analysis, replicates, seed, block size), then one line per finished task
with its per-replicate results. Floats round-trip exactly through JSON, so a resumed study gives the
same numbers as an uninterrupted one. A checkpoint written by a different study is refused rather
than silently mixed in.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "study.jsonl"
>>> ck = Checkpoint(path, fingerprint="abc")
>>> ck.load()
{}
>>> ck.save(0, {"total": {"estimate": np.array([0.5])}})
>>> Checkpoint(path, fingerprint="abc").load()[0]["total"]["estimate"]
array([0.5])
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from facmech.errors import DesignError

__all__ = ["Checkpoint", "fingerprint"]

_VERSION = 1
TaskResult = dict[str, dict[str, np.ndarray]]


def fingerprint(spec: Any) -> str:
    """SHA-256 of the canonical JSON of ``spec``."""
    text = json.dumps(spec, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class Checkpoint:
    """A JSON-lines checkpoint file bound to one study (by ``fingerprint``)."""

    def __init__(self, path: str | Path, *, fingerprint: str):
        self.path = Path(path)
        self.fingerprint = fingerprint

    def __repr__(self) -> str:
        return f"Checkpoint({str(self.path)!r})"

    def load(self) -> dict[int, TaskResult]:
        """Finished tasks so far (empty if the file does not exist yet; then writes the header)."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            header = {"facmech_checkpoint": _VERSION, "fingerprint": self.fingerprint}
            self.path.write_text(json.dumps(header) + "\n")
            return {}
        done: dict[int, TaskResult] = {}
        with self.path.open() as fh:
            lines = fh.read().splitlines()
        try:
            header = json.loads(lines[0])
        except (json.JSONDecodeError, IndexError):
            raise DesignError(f"`checkpoint` {str(self.path)!r} is not a facmech checkpoint") from None
        if not isinstance(header, dict) or header.get("facmech_checkpoint") != _VERSION:
            raise DesignError(f"`checkpoint` {str(self.path)!r} is not a facmech checkpoint")
        if header.get("fingerprint") != self.fingerprint:
            raise DesignError(
                f"`checkpoint` {str(self.path)!r} belongs to a different study (other scenario, "
                "grid, analysis, reps or seed); use a new file or delete it"
            )
        kept = [lines[0]]
        for line in lines[1:]:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by the interruption: that task is redone
            kept.append(line)
            done[int(rec["task"])] = {
                est: {k: np.asarray(v) for k, v in cols.items()}
                for est, cols in rec["result"].items()
            }
        if len(kept) != len(lines) or not self.path.read_text().endswith("\n"):
            self.path.write_text("\n".join(kept) + "\n")
        return done

    def save(self, task: int, result: TaskResult) -> None:
        """Append one finished task (flushed immediately)."""
        rec = {
            "task": int(task),
            "result": {
                est: {k: np.asarray(v).tolist() for k, v in cols.items()}
                for est, cols in result.items()
            },
        }
        with self.path.open("a") as fh:
            fh.write(json.dumps(rec, allow_nan=False) + "\n")
            fh.flush()
