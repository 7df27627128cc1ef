"""Pieces the sections share: pictures, charts, cards and the drawing canvas."""
