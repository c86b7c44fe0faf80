"""Sensor models: the only bridge from truth to flight software."""
