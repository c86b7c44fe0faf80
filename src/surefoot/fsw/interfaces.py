"""Flight software interface types, owned by fsw: navigation input and commands out.

All are rows of float arrays with a leading lander axis; the column layouts
below are the contract with the sensors (which fill navigation rows) and the
vehicle (which consumes command rows).

Navigation solution ``(N, N_NAV)``, site ENU frame (east, north, up; origin
on the reference sphere below the landing target; rotates with the Moon):

- ``t`` (s), ``r_enu`` (m), ``v_enu`` (m/s, relative to the surface),
  ``q_body_to_enu`` (scalar first), ``omega_body`` (rad/s, inertial rate in
  body axes), ``valid`` (1.0 when the solution may be used).

Commands ``(N, N_CMD)``: main-engine thrust (N) and attitude torque (N m, body).
"""

from __future__ import annotations

NAV_T = 0
NAV_R = 1  # 3
NAV_V = 4  # 3
NAV_Q = 7  # 4
NAV_W = 11  # 3
NAV_VALID = 14
NAV_ALT_TRUSTED = 15  # 1.0 when guidance may trust the height (navigation monitor)
NAV_ALT_SIGMA = 16  # 1-sigma of the height above the terrain, m
NAV_VEL_TRUSTED = 17  # 1.0 when the velocity is trusted
N_NAV = 18

CMD_THRUST = 0
CMD_TORQUE = 1  # 3
N_CMD = 4

# Flight phases (mode sequencer)
PHASE_BRAKING = 0
PHASE_APPROACH = 1
PHASE_TERMINAL = 2
PHASE_NAMES = ("braking", "approach", "terminal")
