"""Loading a map: a built-in one by name, or a user's file in any supported format.

>>> load_map().node("trust").role
<Role.MECHANISM: 'mechanism'>
>>> load_map("no_such_map")
Traceback (most recent call last):
...
facmech.errors.MapError: no map file 'no_such_map' (and no built-in map by that name; ...)
"""

from __future__ import annotations

from pathlib import Path

from facmech.errors import MapError
from facmech.formats._limits import MAX_BYTES
from facmech.formats.reading import read_map_text
from facmech.maps.model import MechanismMap

__all__ = ["builtin_maps", "load_map"]

#: The built-in maps: the ``*.yaml`` files of the :mod:`facmech.maps` package.
BUILTIN = Path(__file__).resolve().parent.parent / "maps"


def builtin_maps() -> tuple[str, ...]:
    """Names of the maps shipped with facmech."""
    return tuple(sorted(p.stem for p in BUILTIN.glob("*.yaml")))


def load_map(name_or_path: str | Path | MechanismMap = "facilitation") -> MechanismMap:
    """Load a built-in map by name, or a user map from a facmech YAML, dagitty, DOT or GML file.

    The format of a file is detected from its content.

    Parameters
    ----------
    name_or_path
        ``"facilitation"`` (the default, Kilbourne et al. 2023) or a path. A
        :class:`~facmech.maps.MechanismMap` is returned unchanged.

    Raises
    ------
    MapError
        No such file or built-in map, a directory, an unreadable or too large file; and any error
        of the map itself (a :class:`~facmech.errors.MapFormatError` names the file and line).
    """
    if isinstance(name_or_path, MechanismMap):
        return name_or_path
    text_name = str(name_or_path)
    path = Path(text_name)
    if not path.is_file() and (BUILTIN / f"{text_name}.yaml").is_file():
        path = BUILTIN / f"{text_name}.yaml"
    if not path.exists():
        raise MapError(
            f"no map file {text_name!r} (and no built-in map by that name; built-in: "
            f"{', '.join(builtin_maps())})"
        )
    if path.is_dir():
        raise MapError(f"map path {text_name!r} is a directory, not a file")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise MapError(f"map file {text_name!r} is {size:,} bytes; maps are limited to {MAX_BYTES:,}")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MapError(f"cannot read map file {text_name!r}: {exc}") from None
    return read_map_text(text, source=str(path))
