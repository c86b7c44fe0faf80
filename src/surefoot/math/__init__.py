"""Small numerics shared by truth and flight software: quaternions, frames, random streams."""
