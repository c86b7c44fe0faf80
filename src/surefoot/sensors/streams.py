"""Random stream ids of the sensor models (ids 1 and 2 live in ``surefoot.math.random_stream``).

Every draw is keyed by ``(run seed, stream id, step, index)``; a stream id
names one noise source and must never change or be reused, or recorded runs
stop replaying. Each sensor keeps its noise, dropout and fault draws apart
by index (see the sensor modules and ``surefoot.sensors.faults``).
"""

from __future__ import annotations

STREAM_IMU = 10  # keyed by the IMU sample index: dropouts and fault draws per sample
STREAM_IMU_TURN_ON = 11  # turn-on biases, drawn once per run (step 0)
STREAM_IMU_STEP = 16  # keyed by the simulation step: white noise and bias steps
STREAM_STAR_TRACKER = 12
STREAM_RANGEFINDER = 13
STREAM_DOPPLER_LIDAR = 14
STREAM_TRN_CAMERA = 15
