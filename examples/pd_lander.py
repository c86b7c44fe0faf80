"""A plug-in flight software for surefoot: a PD lander with its own altitude filter.

It flies the last part of a descent, from an approach gate a kilometre or two
from the target, to a touchdown under 2 m/s:

- **Attitude**: the star tracker's inertial attitude turned into the site
  frame with the design Moon (``Design.q_body_to_enu``); body rate from the
  IMU's angle increments.
- **Height**: its own two-state Kalman filter (height above the terrain
  below, vertical speed), propagated with the IMU's velocity increments and
  the design gravity, updated with the laser rangefinder's slant ranges
  (projected on the vertical with its attitude), innovations gated.
- **Horizontal**: position and velocity from the built-in navigation's
  solution (``frame.navigation``), as a guidance-only plug-in would use it.
- **Guidance**: proportional-derivative laws: a horizontal velocity command
  towards the target, a descent rate that shrinks with height (hover at
  100 m until over the target, then down to 1 m/s), thrust along the wanted
  acceleration, steered by the built-in attitude law.

It sees what a lander sees: the messages of one flight-software cycle and
its design values. Fly it with::

    surefoot run examples/pd_lander.yaml

(from the repository root; docs/plugins.md explains the interface).
"""

from __future__ import annotations

import math

import numpy as np

from surefoot.fsw.plugin import Command, Design, SensorFrame, thrust_axis_enu

G0_M_S2 = 9.80665


class HeightFilter:
    """Height above the terrain below (m) and vertical speed (m/s, up), a Kalman filter."""

    def __init__(self, accel_sigma_m_s2: float = 0.05) -> None:
        self.x = np.zeros(2)
        self.p = np.diag([200.0**2, 3.0**2])
        self.q_a = accel_sigma_m_s2**2
        self.started = False
        self.t_last_fix = -1e9

    def start(self, height_m: float, v_up_m_s: float) -> None:
        self.x[:] = (height_m, v_up_m_s)
        self.started = True

    def propagate(self, a_up_m_s2: float, dt: float) -> None:
        f = np.array([[1.0, dt], [0.0, 1.0]])
        self.x = f @ self.x + np.array([0.5 * dt * dt, dt]) * a_up_m_s2
        q = self.q_a * np.array([[dt**4 / 4.0, dt**3 / 2.0], [dt**3 / 2.0, dt * dt]])
        self.p = f @ self.p @ f.T + q

    def update_height(self, h_meas_m: float, sigma_m: float, t: float) -> bool:
        s = self.p[0, 0] + sigma_m**2
        innovation = h_meas_m - self.x[0]
        if innovation**2 > 25.0 * s and t - self.t_last_fix < 5.0:
            return False  # a 5-sigma outlier (a rock, a crater rim), unless fixes stopped
        if innovation**2 > 25.0 * s:  # no fix for 5 s: start again from the ranges
            self.x[0] = h_meas_m
            self.p[0, 0] = sigma_m**2
            self.t_last_fix = t
            return True
        k = self.p[:, 0] / s
        self.x = self.x + k * innovation
        self.p = self.p - np.outer(k, self.p[0, :])
        self.t_last_fix = t
        return True


class PdLander:
    """The plug-in: ``PdLander(design)`` once per landing, ``step(frame)`` every cycle."""

    def __init__(self, design: Design) -> None:
        self.design = design
        v = design.vehicle
        self.dry_mass_kg = v.dry_mass_kg
        self.propellant_kg = v.propellant_kg  # own estimate, from commanded thrust
        self.max_thrust_n = v.max_thrust_n
        self.min_thrust_n = v.min_throttle * v.max_thrust_n
        self.isp_s = v.isp_s
        self.beams_body = np.array(design.fsw.nav.rangefinder.beams_body, dtype=float)
        self.beams_body /= np.linalg.norm(self.beams_body, axis=1, keepdims=True)
        self.height = HeightFilter()
        self.q_body_to_enu = np.array([1.0, 0.0, 0.0, 0.0])
        self.omega_body = np.zeros(3)
        # guidance gains
        self.k_pos_1_s = 0.06  # horizontal velocity command per metre off target
        self.v_h_max_m_s = 30.0
        self.k_vel_h_1_s = 0.5
        self.k_vel_z_1_s = 0.8
        self.k_descent_1_s = 0.06  # descent rate per metre of height
        self.hover_height_m = 100.0  # wait here until within hover_radius_m of the target
        self.hover_radius_m = 60.0
        self.max_tilt_rad = math.radians(30.0)

    # -- navigation ---------------------------------------------------------
    def _attitude(self, frame: SensorFrame) -> None:
        st = frame.star_tracker
        if st.valid:
            self.q_body_to_enu = self.design.q_body_to_enu(st.q_body_to_mci, st.t)
        elif frame.navigation.valid:
            self.q_body_to_enu = np.array(frame.navigation.q_body_to_enu)
        if frame.imu.valid and frame.imu.dt > 0.0:
            self.omega_body = np.array(frame.imu.dtheta_body) / frame.imu.dt

    def _rotate(self, v_body: np.ndarray) -> np.ndarray:
        w, x, y, z = self.q_body_to_enu
        r = np.array(
            [
                [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
                [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
                [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
            ]
        )
        return r @ v_body

    def _height(self, frame: SensorFrame) -> None:
        f = self.height
        nav = frame.navigation
        if not f.started:
            f.start(float(nav.r_enu[2]) - self.design.target_height_m, float(nav.v_enu[2]))
        imu = frame.imu
        if imu.valid and imu.dt > 0.0:
            dv_up = float(self._rotate(np.array(imu.dv_body))[2])
            g = self.design.gravity_m_s2(float(f.x[0]))
            f.propagate(dv_up / imu.dt - g, imu.dt)
        lrf = frame.rangefinder
        for k in range(len(lrf.range_m)):
            if not lrf.valid[k]:
                continue
            down = -float(self._rotate(self.beams_body[k])[2])  # cosine from the vertical
            if down < 0.5:
                continue
            rho = float(lrf.range_m[k])
            f.update_height(rho * down, 0.5 + 0.01 * rho, frame.t)

    # -- guidance -----------------------------------------------------------
    def step(self, frame: SensorFrame) -> Command:
        self._attitude(frame)
        self._height(frame)
        h, v_up = float(self.height.x[0]), float(self.height.x[1])
        nav = frame.navigation
        r_h = np.array(nav.r_enu[:2])
        v_h = np.array(nav.v_enu[:2])
        g = self.design.gravity_m_s2(h)

        off = float(np.linalg.norm(r_h))
        if h > 30.0:
            v_h_cmd = -self.k_pos_1_s * r_h
            n = float(np.linalg.norm(v_h_cmd))
            if n > self.v_h_max_m_s:
                v_h_cmd *= self.v_h_max_m_s / n
        else:
            v_h_cmd = np.zeros(2)  # near the ground: stop moving, wherever we are
        a_h = self.k_vel_h_1_s * (v_h_cmd - v_h)

        floor = self.hover_height_m if off > self.hover_radius_m else 0.0
        descent = self.k_descent_1_s * max(h - floor, 0.0)
        v_up_cmd = -min(descent, 15.0)
        if floor == 0.0:
            v_up_cmd = min(v_up_cmd, -1.0)  # over the target: keep coming down
        a_up = max(g + self.k_vel_z_1_s * (v_up_cmd - v_up), 0.2 * g)

        a_h_max = math.tan(self.max_tilt_rad) * a_up
        n = float(np.linalg.norm(a_h))
        if n > a_h_max:
            a_h *= a_h_max / n
        a = np.array([a_h[0], a_h[1], a_up])
        direction = a / np.linalg.norm(a)

        # thrust: the wanted acceleration along where the engine points now
        mass = self.dry_mass_kg + max(self.propellant_kg, 0.0)
        along = float(a @ thrust_axis_enu(self.q_body_to_enu))
        thrust = min(max(mass * along, self.min_thrust_n), self.max_thrust_n)
        self.propellant_kg -= thrust / (self.isp_s * G0_M_S2) * self.design.dt_s
        return Command(
            thrust_n=thrust,
            thrust_direction_enu=direction,
            q_body_to_enu=self.q_body_to_enu,
            omega_body_rad_s=self.omega_body,
        )
