"""Presentation: figures, the house style, reports, the map and the dashboard."""
