"""Shared estimation core."""
