"""Fuel-optimal convex powered-descent guidance (lossless convexification, G-FOLD)."""
