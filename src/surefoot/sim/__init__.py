"""The one place that wires truth, sensors and flight software together."""
