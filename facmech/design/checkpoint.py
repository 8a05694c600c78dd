"""Checkpoints: a long design study saves each finished task and resumes after an interruption.

The file is JSON lines: a header with the study's fingerprint (a hash of everything that determines
the numbers: scenario, grid, analysis, replicates, seed, block size), then one line per finished task
with its per-replicate results and the SHA-256 of the record's canonical JSON. Floats round-trip
exactly through JSON, so a resumed study gives the same numbers as an uninterrupted one.

Nothing damaged is used. A checkpoint written by a different study is refused; so is every record
that is not what this study would have written (not an object, a task id out of range or repeated
with other numbers, missing or unknown estimands, a wrong replicate count, values that are not
finite numbers, a checksum that does not match), with the line named. Only the last line may be
cut short, as an interruption while writing leaves it: that task is recomputed.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "study.jsonl"
>>> ck = Checkpoint(path, fingerprint="abc")
>>> ck.load()
{}
>>> ck.save(0, {"total": {"estimate": np.array([0.5])}})
>>> Checkpoint(path, fingerprint="abc").load()[0]["total"]["estimate"]
array([0.5])
>>> _ = path.write_text(path.read_text().replace("0.5", "0.6"))
>>> Checkpoint(path, fingerprint="abc").load()
Traceback (most recent call last):
...
facmech.errors.DesignError: `checkpoint` '...study.jsonl' line 2: the checksum does not match ...
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from facmech._files import write_atomic
from facmech.errors import DesignError

__all__ = ["Checkpoint", "fingerprint"]

_VERSION = 2
TaskResult = dict[str, dict[str, np.ndarray]]
#: task id -> (replicates, estimand names) that the study expects in each record
Layout = Mapping[int, tuple[int, tuple[str, ...]]]


def fingerprint(spec: Any) -> str:
    """SHA-256 of the canonical JSON of ``spec``."""
    text = json.dumps(spec, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _digest(task: int, result: Any) -> str:
    text = json.dumps({"task": task, "result": result}, sort_keys=True, separators=(",", ":"),
                      allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


class _Bad(Exception):
    """One record is not valid (the message says why)."""


class Checkpoint:
    """A JSON-lines checkpoint file bound to one study (by ``fingerprint``).

    Parameters
    ----------
    path : path
        The file (created with its header on the first :meth:`load`).
    fingerprint : str
        Hash of the study's specification; a file with another one is refused.
    layout : mapping, optional
        Task id -> (replicates, estimand names) the study expects; with it every record is also
        checked for its task range, estimands and replicate count.
    """

    def __init__(self, path: str | Path, *, fingerprint: str, layout: Layout | None = None):
        self.path = Path(path)
        self.fingerprint = fingerprint
        self.layout = layout

    def __repr__(self) -> str:
        return f"Checkpoint({str(self.path)!r})"

    def _error(self, what: str) -> DesignError:
        return DesignError(f"`checkpoint` {str(self.path)!r} {what}")

    def load(self) -> dict[int, TaskResult]:
        """Finished tasks so far (empty if the file does not exist yet; then writes the header)."""
        if self.path.is_dir():
            raise self._error("is a directory; give a file name such as study.jsonl")
        if not self.path.exists() or self.path.stat().st_size == 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            header = {"facmech_checkpoint": _VERSION, "fingerprint": self.fingerprint}
            self.path.write_text(json.dumps(header) + "\n")
            return {}
        try:
            text = self.path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise self._error("is not a facmech checkpoint (not UTF-8 text); use another file "
                              "or delete it") from None
        lines = text.split("\n")
        complete = lines[-1] == ""
        lines = lines[:-1] if complete else lines
        self._check_header(lines[0] if lines else "")
        done: dict[int, TaskResult] = {}
        digests: dict[int, str] = {}
        keep = len(lines)
        for n, line in enumerate(lines[1:], start=2):
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                if n == len(lines) and not complete:
                    keep = n - 1  # the last line, cut short by an interruption: recomputed
                    break
                raise self._error(f"line {n}: not a JSON record ({line[:40]!r}); the file is "
                                  "damaged. Delete that line to recompute its task, or use a new "
                                  "file") from None
            try:
                task, result, digest = self._check_record(rec)
            except _Bad as bad:
                raise self._error(f"line {n}: {bad}; the file is damaged or was edited. Delete "
                                  "that line to recompute its task, or use a new file") from None
            if task in digests and digests[task] != digest:
                raise self._error(f"line {n}: task {task} is recorded twice with different "
                                  "results; delete one of the two lines")
            digests[task] = digest
            done[task] = result
        if keep != len(lines) or not complete:
            body = "\n".join(lines[:keep]) + "\n"
            write_atomic(self.path, lambda p: p.write_text(body), argument="checkpoint")
        return done

    def _check_header(self, line: str) -> None:
        try:
            header = json.loads(line)
        except json.JSONDecodeError:
            header = None
        if not isinstance(header, dict) or "facmech_checkpoint" not in header:
            raise self._error("is not a facmech checkpoint (line 1 is not its header); use "
                              "another file or delete it")
        if header["facmech_checkpoint"] != _VERSION:
            raise self._error(f"has format {header['facmech_checkpoint']!r}, this facmech writes "
                              f"format {_VERSION} (with per-record checksums); delete it to rerun")
        if header.get("fingerprint") != self.fingerprint:
            raise self._error(
                "belongs to a different study (other scenario, grid, analysis, reps or seed); "
                "use a new file or delete it"
            )

    def _check_record(self, rec: Any) -> tuple[int, TaskResult, str]:
        if not isinstance(rec, dict) or set(rec) != {"task", "result", "sha256"}:
            got = sorted(rec) if isinstance(rec, dict) else type(rec).__name__
            raise _Bad(f"a record must be an object with keys task, result, sha256 (got {got})")
        task, result = rec["task"], rec["result"]
        if isinstance(task, bool) or not isinstance(task, int) or task < 0:
            raise _Bad(f"task id must be a non-negative integer (got {task!r})")
        if self.layout is not None and task not in self.layout:
            raise _Bad(f"task id {task} is out of range (this study has tasks 0..{len(self.layout) - 1})")
        if not isinstance(result, dict) or not result:
            raise _Bad("`result` must be a non-empty object of estimands")
        if self.layout is not None:
            reps, names = self.layout[task]
            if set(result) != set(names):
                raise _Bad(f"estimands {sorted(result)} are not the study's {sorted(names)}")
        else:
            reps = None
        out: TaskResult = {}
        for est, cols in result.items():
            if not isinstance(cols, dict) or not cols:
                raise _Bad(f"estimand {est!r} must be an object of per-replicate columns")
            out[est] = {}
            for key, values in cols.items():
                if not isinstance(values, list) or (reps is not None and len(values) != reps):
                    size = len(values) if isinstance(values, list) else type(values).__name__
                    raise _Bad(f"{est}.{key} has {size} values; the task has {reps} replicates")
                if not all(isinstance(v, numbers.Real) and math.isfinite(v) for v in values):
                    bad = next(v for v in values
                               if not (isinstance(v, numbers.Real) and math.isfinite(v)))
                    raise _Bad(f"{est}.{key} holds {bad!r}, not a finite number")
                out[est][key] = np.asarray(values)
        if _digest(task, result) != rec["sha256"]:
            raise _Bad("the checksum does not match the record (values changed after writing)")
        return task, out, rec["sha256"]

    def save(self, task: int, result: TaskResult) -> None:
        """Append one finished task with its checksum (flushed immediately)."""
        body = {est: {k: np.asarray(v).tolist() for k, v in cols.items()}
                for est, cols in result.items()}
        rec = {"task": int(task), "result": body, "sha256": _digest(int(task), body)}
        with self.path.open("a") as fh:
            fh.write(json.dumps(rec, allow_nan=False) + "\n")
            fh.flush()
