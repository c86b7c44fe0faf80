"""Guidance: trajectory generation for powered descent."""
