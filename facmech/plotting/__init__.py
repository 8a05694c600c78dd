"""Figures: the publishable mechanism map (:func:`plot_map`). matplotlib is imported lazily."""

from facmech.plotting.map_plot import check_highlight, plot_map, save_map_figure

__all__ = ["check_highlight", "plot_map", "save_map_figure"]
