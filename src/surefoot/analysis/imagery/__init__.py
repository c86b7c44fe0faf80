"""Orbital imagery of a landing site: synthetic before/after images and change detection.

All images made here are synthetic (rendered from a terrain model), and say so.
"""
