"""Files in and out: reading data tables, checking output paths, writing atomically.

One helper for every command that reads a table or writes a file, so that the same promises hold
everywhere:

* :func:`read_table` reads a ``.csv`` or ``.parquet`` file and turns every way it can be unreadable
  (missing, empty, ragged, binary, duplicated column names) into one :class:`DataError` naming the
  argument, the file and the line.
* :func:`check_output` checks an output path *before* any work: a known suffix, an existing
  writable directory, not a directory itself, not the same file as any input of the command
  (symlinks and hard links resolved), and not an existing file unless ``force``.
* :func:`write_atomic` writes through a temporary file in the same directory and renames it over
  the target, so an interrupted write never leaves half a file where the old one was.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "a.csv").write_text("x,y\\n1,2\\n")
>>> check_output(d / "a.csv", argument="--out", inputs={"--data": d / "a.csv"})
Traceback (most recent call last):
...
facmech.errors.ArgumentError: `--out` ... is the same file as `--data`; it would be destroyed. ...
>>> read_table(d / "a.csv").to_dict("list")
{'x': [1], 'y': [2]}
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from facmech.errors import ArgumentError, DataError

__all__ = ["PathLike", "check_output", "check_suffix", "read_table", "same_file", "write_atomic"]

PathLike = str | os.PathLike[str]
_PARQUET = (".parquet", ".pq")


def read_table(path: PathLike, *, argument: str = "data") -> pd.DataFrame:
    """Read a ``.parquet``/``.pq`` file or (any other name) a CSV file into a DataFrame.

    Raises :class:`DataError` naming ``argument`` and the file when it does not exist, is empty,
    is not UTF-8 text, has rows with more fields than the header (the line is named), or has a
    column name twice (pandas would silently rename the second ``x`` to ``x.1``).
    """
    file = Path(path)
    where = f"`{argument}` file {str(path)!r}"
    if not file.exists():
        raise DataError(f"`{argument}`: no such file {str(path)!r} (it does not exist)")
    if file.is_dir():
        raise DataError(f"{where} is a directory, not a data file")
    if file.suffix.lower() in _PARQUET:
        try:
            frame = pd.read_parquet(file)
        except ImportError:
            raise DataError(f"{where}: reading parquet needs pyarrow (pip install pyarrow)") from None
        except Exception as exc:
            raise DataError(f"{where} is not a readable parquet file ({_one_line(exc)})") from None
        _check_names(list(map(str, frame.columns)), where)
        return frame
    try:
        with file.open(encoding="utf-8", newline="") as fh:
            header = next(csv.reader(io.StringIO(fh.readline())), [])
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{where} is not a UTF-8 text CSV (byte {exc.object[exc.start]:#04x} at position "
            f"{exc.start}); is it a binary or another format?"
        ) from None
    if not any(h.strip() for h in header):
        raise DataError(f"{where} is empty (no header line of column names)")
    _check_names([h.strip() for h in header], where)
    try:
        frame = pd.read_csv(file)
    except pd.errors.EmptyDataError:
        raise DataError(f"{where} is empty (no header line of column names)") from None
    except pd.errors.ParserError as exc:
        detail = _one_line(exc).replace("Error tokenizing data. C error: ", "")
        raise DataError(f"{where} is not a rectangular CSV: {detail}") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{where} is not a UTF-8 text CSV ({exc.reason} at byte {exc.start})") from None
    return frame


def _check_names(names: list[str], where: str) -> None:
    seen: set[str] = set()
    dups = [n for n in names if n in seen or seen.add(n)]  # type: ignore[func-returns-value]
    if dups:
        listed = ", ".join(f"`{d}`" for d in dict.fromkeys(dups))
        raise DataError(
            f"{where} has duplicated column name(s) {listed}; rename them so that each column "
            "is named once"
        )


def same_file(a: PathLike, b: PathLike) -> bool:
    """Whether two paths name the same existing file (symlinks and hard links resolved)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(a).resolve() == Path(b).resolve()


def check_suffix(path: PathLike, *, argument: str, suffixes: Iterable[str]) -> None:
    """Raise :class:`ArgumentError` unless ``path`` ends in one of ``suffixes`` (lower case)."""
    allowed = tuple(suffixes)
    if Path(path).suffix.lower() not in allowed:
        listed = " or ".join([", ".join(allowed[:-1]), allowed[-1]] if len(allowed) > 1
                             else allowed)
        raise ArgumentError(f"`{argument}` must end in {listed} (got {str(path)!r})")


def check_output(
    path: PathLike | None,
    *,
    argument: str = "out",
    suffixes: Iterable[str] | None = None,
    inputs: Mapping[str, Any] | None = None,
    force: bool = True,
) -> Path | None:
    """Check an output path before any computation; return it as a :class:`~pathlib.Path`.

    Parameters
    ----------
    path : path or None
        The output file (``None``: nothing to check).
    argument : str
        How the caller names it in messages (``"out"``, ``"--plot"``).
    suffixes : iterable of str, optional
        Allowed suffixes (lower case, with the dot).
    inputs : mapping, optional
        Argument name -> input path of the same command (non-paths and ``None`` are ignored). The
        output may not be any of them.
    force : bool, default True
        Whether an existing file may be replaced; the CLI passes its ``--force`` flag.
    """
    if path is None:
        return None
    out = Path(path)
    shown = str(path)
    if suffixes is not None:
        check_suffix(path, argument=argument, suffixes=suffixes)
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise ArgumentError(f"`{argument}`: the directory {str(parent)!r} does not exist (got {shown!r})")
    if out.is_dir():
        raise ArgumentError(f"`{argument}`: {shown!r} is a directory; give a file name")
    for name, given in (inputs or {}).items():
        if isinstance(given, (str, os.PathLike)) and (
            out.resolve() == Path(given).resolve()
            or (out.exists() and Path(given).exists() and same_file(out, given))
        ):
            raise ArgumentError(
                f"`{argument}` {shown!r} is the same file as `{name}`; it would be destroyed. "
                "Write the output to another file"
            )
    if out.exists() and not force:
        raise ArgumentError(
            f"`{argument}`: {shown!r} exists; pass --force to replace it (or choose another name)"
        )
    if not os.access(parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise ArgumentError(f"`{argument}`: {shown!r} is not writable (permission denied)")
    return out


def write_atomic(path: PathLike, write: Callable[[Path], Any], *, argument: str = "out") -> bool:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it onto ``path``.

    The temporary name keeps the suffix (writers that infer the format from it still work). If
    ``write`` fails the temporary file is removed and ``path`` is untouched. Returns whether an
    existing file was replaced. A symlink at ``path`` is replaced by the file, never followed.
    """
    out = Path(path)
    existed = out.exists() or out.is_symlink()
    fd, name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=out.suffix or ".tmp",
                                dir=out.parent if str(out.parent) else ".")
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        if existed and out.exists():
            try:
                os.chmod(tmp, out.stat().st_mode & 0o777)
            except OSError:
                pass
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ArgumentError(f"`{argument}`: cannot write {str(path)!r}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return existed


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
