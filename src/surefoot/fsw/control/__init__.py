"""Attitude and throttle control."""
