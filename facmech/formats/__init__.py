"""Reading and writing mechanism maps: facmech YAML, dagitty, Graphviz DOT and GML.

One module per format (:mod:`~facmech.formats.yaml_format`, :mod:`~facmech.formats.dagitty`,
:mod:`~facmech.formats.dot`, :mod:`~facmech.formats.gml`), each with a reader returning a
:class:`~facmech.maps.MechanismMap` and a writer; :func:`read_map_text` detects the format of a
text and :func:`load_map` reads a file or a built-in map. Every reader works under the limits of
:mod:`~facmech.formats._limits` and raises :class:`~facmech.errors.MapFormatError` naming the line.

This package builds on :mod:`facmech.maps` (the model); the model never imports it.
"""

from facmech.formats.dagitty import from_dagitty, to_dagitty
from facmech.formats.dot import from_dot, to_dot
from facmech.formats.gml import from_gml, to_gml
from facmech.formats.loader import builtin_maps, load_map
from facmech.formats.reading import detect_format, read_map_text
from facmech.formats.yaml_format import dump_yaml, load_yaml

__all__ = [
    "builtin_maps",
    "detect_format",
    "dump_yaml",
    "from_dagitty",
    "from_dot",
    "from_gml",
    "load_map",
    "load_yaml",
    "read_map_text",
    "to_dagitty",
    "to_dot",
    "to_gml",
]
