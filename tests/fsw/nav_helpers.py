"""Test kit for the navigation filter: a small truth simulation and sensor models.

Independent of ``surefoot.world`` / ``surefoot.sensors``: a point-mass Moon,
a powered descent flown by a zero-effort-miss/zero-effort-velocity law on
truth, exact IMU increments (specific force and body rate held constant in
body axes over each cycle, so the increments are ``f dt`` and ``w dt``
exactly), and sensors that add the flight software's believed noise to
geometric truth. Also :func:`degrade_map`, a stand-in for the simulator's
onboard-map builder (the flight software itself never sees truth grids).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from surefoot.config.navigation import NavConfig
from surefoot.config.schema import FswConfig, FswMoonConfig
from surefoot.fsw.interfaces import N_NAV
from surefoot.fsw.nav import measurements as M
from surefoot.fsw.nav.layout import N_B, N_ERR, N_X
from surefoot.fsw.nav.nav_step import nav_step
from surefoot.fsw.nav.params import nav_init, nav_params
from surefoot.math.frames import enu_basis_mcmf, mcmf_to_map, rot_mci_to_mcmf, rot_mcmf_to_mci
from surefoot.math.height_grid import raycast, terrain_height
from surefoot.math.quaternion import quat_conj, quat_mul, quat_rotate

DT = 0.1


# ---------------------------------------------------------------------------
# small math
# ---------------------------------------------------------------------------


def rotvec_quat(phi: np.ndarray) -> np.ndarray:
    a = float(np.linalg.norm(phi))
    if a < 1e-12:
        return np.array([1.0, 0.5 * phi[0], 0.5 * phi[1], 0.5 * phi[2]])
    s = np.sin(0.5 * a) / a
    return np.array([np.cos(0.5 * a), s * phi[0], s * phi[1], s * phi[2]])


def quat_rotvec(q: np.ndarray) -> np.ndarray:
    """Rotation vector of a unit quaternion (shorter rotation)."""
    q = q if q[0] >= 0.0 else -q
    s = float(np.linalg.norm(q[1:]))
    if s < 1e-12:
        return 2.0 * q[1:]
    return 2.0 * np.arctan2(s, q[0]) * q[1:] / s


def shortest_arc(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rotation vector turning unit vector ``a`` onto unit vector ``b``."""
    ax = np.cross(a, b)
    s = float(np.linalg.norm(ax))
    if s < 1e-15:
        return np.zeros(3)
    return ax / s * np.arctan2(s, float(np.dot(a, b)))


def attitude_error(q_true: np.ndarray, q_est: np.ndarray) -> np.ndarray:
    """Global (MCI) attitude error, true minus estimate: ``q_true = dq * q_est``."""
    return quat_rotvec(quat_mul(q_true, quat_conj(q_est)))


# ---------------------------------------------------------------------------
# site and terrain
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    lat_rad: float = 0.4
    lon_rad: float = 0.7
    # the test kit's truth is a point mass: the filter's Moon matches it
    moon: FswMoonConfig = FswMoonConfig(j2=0.0)
    c: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "c", enu_basis_mcmf(self.lat_rad, self.lon_rad))

    @property
    def radius(self) -> float:
        return self.moon.radius_m

    @property
    def omega(self) -> float:
        return self.moon.rotation_rate_rad_s

    def enu_to_mci(self, t: float, r_enu: np.ndarray, v_enu: np.ndarray):  # noqa: ANN201
        """Position (ENU, up over the sphere) and surface-relative velocity to MCI."""
        th = self.omega * t
        rc = np.asarray(r_enu, dtype=float) + np.array([0.0, 0.0, self.radius])
        r_mci = rot_mcmf_to_mci(self.c.T @ rc, th)
        v_rel = rot_mcmf_to_mci(self.c.T @ np.asarray(v_enu, dtype=float), th)
        v_mci = v_rel + np.cross([0.0, 0.0, self.omega], r_mci)
        return r_mci, v_mci

    def mci_to_enu(self, t: float, r_mci: np.ndarray, v_mci: np.ndarray):  # noqa: ANN201
        th = self.omega * t
        v_rel = v_mci - np.cross([0.0, 0.0, self.omega], r_mci)
        r_enu = self.c @ rot_mci_to_mcmf(np.asarray(r_mci, dtype=float), th)
        r_enu[2] -= self.radius
        return r_enu, self.c @ rot_mci_to_mcmf(v_rel, th)

    def up_mci(self, t: float) -> np.ndarray:
        return rot_mcmf_to_mci(self.c[2].copy(), self.omega * t)

    def fsw(self, nav: NavConfig) -> FswConfig:
        return FswConfig(moon=self.moon, nav=nav)

    def params(self, nav: NavConfig) -> np.ndarray:
        return nav_params(self.fsw(nav), site_lat_rad=self.lat_rad, site_lon_rad=self.lon_rad,
                          dt_s=DT)


def grid_from_function(fn, half_width_m: float, dx_m: float):  # noqa: ANN001, ANN201
    """One-level map grid of ``fn(x_east, y_north)`` heights over a square."""
    n = int(round(2 * half_width_m / dx_m)) + 1
    xs = -half_width_m + dx_m * np.arange(n)
    gx, gy = np.meshgrid(xs, xs)
    h = fn(gx, gy).astype(np.float64)
    meta = np.array([[-half_width_m, -half_width_m, dx_m, n, n]], dtype=np.float64)
    offsets = np.array([0, n * n], dtype=np.int64)
    return meta, offsets, h.ravel()


def degrade_map(
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
    resolution_m: float,
    offset_en_m: tuple[float, float] = (0.0, 0.0),
    height_bias_m: float = 0.0,
    height_noise_m: float = 0.0,
    rng: np.random.Generator | None = None,
):  # noqa: ANN201
    """Onboard map from truth grids (``fsw.nav.map`` settings): each level resampled
    to at least ``resolution_m`` spacing over the same extent, features shifted
    by ``offset_en_m`` (map height at p = truth height at p - offset), heights
    raised by ``height_bias_m`` plus white noise of ``height_noise_m`` per node.
    Point sampling of the bilinear truth (no averaging)."""
    levels = []
    for lev in range(meta.shape[0]):
        x0, y0, dx, nx, ny = meta[lev]
        dxn = max(dx, resolution_m)
        nxn = max(2, int(np.floor((nx - 1) * dx / dxn)) + 1)
        nyn = max(2, int(np.floor((ny - 1) * dx / dxn)) + 1)
        xs = x0 + dxn * np.arange(nxn)
        ys = y0 + dxn * np.arange(nyn)
        h = np.empty((nyn, nxn))
        for j, y in enumerate(ys):
            for i, x in enumerate(xs):
                h[j, i] = terrain_height(
                    meta, offsets, heights, x - offset_en_m[0], y - offset_en_m[1]
                )
        if height_noise_m > 0.0:
            h += height_noise_m * (rng or np.random.default_rng(0)).normal(size=h.shape)
        levels.append((x0, y0, dxn, h + height_bias_m))
    meta_o = np.array([[x0, y0, dx, h.shape[1], h.shape[0]] for x0, y0, dx, h in levels])
    offs = np.zeros(len(levels) + 1, dtype=np.int64)
    for k, (_, _, _, h) in enumerate(levels):
        offs[k + 1] = offs[k] + h.size
    return meta_o, offs, np.concatenate([h.ravel() for *_, h in levels])


# ---------------------------------------------------------------------------
# truth trajectory
# ---------------------------------------------------------------------------


@dataclass
class Truth:
    t: np.ndarray  # (K+1,)
    r: np.ndarray  # (K+1, 3) MCI
    v: np.ndarray  # (K+1, 3) MCI
    q: np.ndarray  # (K+1, 4) body to MCI
    f_body: np.ndarray  # (K, 3) specific force held over cycle k, body
    w_body: np.ndarray  # (K, 3) body rate held over cycle k


def _gravity(r: np.ndarray, gm: float) -> np.ndarray:
    return -gm * r / np.linalg.norm(r) ** 3


def fly(
    site: Site,
    r0_enu: np.ndarray,
    v0_enu: np.ndarray,
    rf_enu: np.ndarray,
    vf_enu: np.ndarray,
    tgo_s: float,
    duration_s: float,
    max_rate_rad_s: float = np.radians(4.0),
    substeps: int = 4,
) -> Truth:
    """Truth powered descent: ZEM/ZEV guidance (on truth) to ``(rf, vf)`` at ``tgo_s``,
    then holding that point; thrust along body +z, attitude slewed at most
    ``max_rate_rad_s``; point-mass gravity integrated with RK4 in MCI."""
    k_n = int(round(duration_s / DT))
    gm = site.moon.gm_m3_s2
    t = np.arange(k_n + 1) * DT
    r = np.empty((k_n + 1, 3))
    v = np.empty((k_n + 1, 3))
    q = np.empty((k_n + 1, 4))
    f_b = np.zeros((k_n, 3))
    w_b = np.zeros((k_n, 3))
    r[0], v[0] = site.enu_to_mci(0.0, r0_enu, v0_enu)
    g_enu = np.array([0.0, 0.0, -gm / site.radius**2])
    rf = np.asarray(rf_enu, dtype=float)
    vf = np.asarray(vf_enu, dtype=float)

    def a_cmd(k: int) -> np.ndarray:
        re, ve = site.mci_to_enu(t[k], r[k], v[k])
        tg = max(tgo_s - t[k], 15.0)
        zem = rf - (re + ve * tg + 0.5 * g_enu * tg * tg)
        zev = vf - (ve + g_enu * tg)
        a_enu = 6.0 * zem / tg**2 - 2.0 * zev / tg - g_enu
        a_enu[2] = max(a_enu[2], 0.3)
        th = site.omega * t[k]
        return rot_mcmf_to_mci(site.c.T @ a_enu, th)

    a0 = a_cmd(0)
    ez = np.array([0.0, 0.0, 1.0])
    q[0] = np.concatenate([[1.0], np.zeros(3)])
    q[0] = quat_mul(rotvec_quat(shortest_arc(ez, a0 / np.linalg.norm(a0))), q[0])
    h = DT / substeps
    for k in range(k_n):
        a = a_cmd(k)
        mag = float(np.linalg.norm(a))
        z_now = quat_rotate(q[k], ez)
        rot = shortest_arc(z_now, a / mag)
        ang = float(np.linalg.norm(rot))
        if ang > max_rate_rad_s * DT:
            rot *= max_rate_rad_s * DT / ang
        q_next = quat_mul(rotvec_quat(rot), q[k])
        w = quat_rotvec(quat_mul(quat_conj(q[k]), q_next)) / DT
        f = np.array([0.0, 0.0, mag])
        f_b[k] = f
        w_b[k] = w

        def acc(s: float, rr: np.ndarray, k: int = k, w: np.ndarray = w, f: np.ndarray = f):  # noqa: ANN202
            qs = quat_mul(q[k], rotvec_quat(w * s))
            return quat_rotate(qs, f) + _gravity(rr, gm)

        rr = r[k].copy()
        vv = v[k].copy()
        for j in range(substeps):
            s0 = j * h
            k1v = acc(s0, rr)
            k1r = vv
            k2v = acc(s0 + 0.5 * h, rr + 0.5 * h * k1r)
            k2r = vv + 0.5 * h * k1v
            k3v = acc(s0 + 0.5 * h, rr + 0.5 * h * k2r)
            k3r = vv + 0.5 * h * k2v
            k4v = acc(s0 + h, rr + h * k3r)
            k4r = vv + h * k3v
            rr = rr + h / 6.0 * (k1r + 2 * k2r + 2 * k3r + k4r)
            vv = vv + h / 6.0 * (k1v + 2 * k2v + 2 * k3v + k4v)
        r[k + 1] = rr
        v[k + 1] = vv
        q[k + 1] = quat_mul(q[k], rotvec_quat(w * DT))
        q[k + 1] /= np.linalg.norm(q[k + 1])
    return Truth(t, r, v, q, f_b, w_b)


# ---------------------------------------------------------------------------
# sensors
# ---------------------------------------------------------------------------


@dataclass
class Terrain:
    """Truth terrain: a constant height (exact sphere, analytic ray casts) or grids."""

    h0: float = 0.0
    grid: tuple | None = None

    def height(self, site: Site, r_mcmf: np.ndarray) -> float:
        x, y, hp = mcmf_to_map(r_mcmf, site.c, site.radius)
        if self.grid is None:
            return hp - self.h0
        return hp - terrain_height(*self.grid, x, y)

    def range(self, site: Site, o_f: np.ndarray, d_f: np.ndarray, max_range: float) -> float:
        if self.grid is None:
            rt = site.radius + self.h0
            b = float(o_f @ d_f)
            cc = float(o_f @ o_f) - rt * rt
            disc = b * b - cc
            if disc < 0.0:
                return -1.0
            rho = -b - np.sqrt(disc)
            return rho if 0.0 < rho <= max_range else -1.0
        return raycast(o_f, d_f, max_range, site.c, site.radius, *self.grid)


@dataclass
class TruthMeasurements:
    """Noise-free sensor values at the end of each cycle (index k -> time t[k+1])."""

    lrf: np.ndarray  # (K, MAX_LRF_BEAMS) range, -1 when no hit
    dop_v: np.ndarray  # (K, 3)
    dop_r: np.ndarray  # (K, 3), -1 when no hit
    trn: np.ndarray  # (K, 2)
    alt: np.ndarray  # (K,) height above truth terrain


def _unit_rows(beams) -> np.ndarray:  # noqa: ANN001
    b = np.asarray(beams, dtype=float)
    return b / np.linalg.norm(b, axis=1, keepdims=True)


def measure_truth(site: Site, truth: Truth, terrain: Terrain, nav: NavConfig) -> TruthMeasurements:
    """Geometric truth of every sensor, with the mounting of ``nav`` (truth = belief)."""
    k_n = truth.f_body.shape[0]
    lrf_dirs = _unit_rows(nav.rangefinder.beams_body)
    dop_dirs = _unit_rows(nav.doppler.beams_body)
    lrf_pos = np.asarray(nav.rangefinder.position_body_m, dtype=float)
    dop_pos = np.asarray(nav.doppler.position_body_m, dtype=float)
    out = TruthMeasurements(
        lrf=-np.ones((k_n, M.MAX_LRF_BEAMS)),
        dop_v=np.zeros((k_n, 3)),
        dop_r=-np.ones((k_n, 3)),
        trn=np.zeros((k_n, 2)),
        alt=np.zeros(k_n),
    )
    om = np.array([0.0, 0.0, site.omega])
    for k in range(k_n):
        i = k + 1
        th = site.omega * truth.t[i]
        q = truth.q[i]
        r = truth.r[i]
        r_f = rot_mci_to_mcmf(r, th)
        out.alt[k] = terrain.height(site, r_f)
        x, y, _ = mcmf_to_map(r_f, site.c, site.radius)
        out.trn[k] = (x, y)
        for b, u in enumerate(lrf_dirs):
            o = r + quat_rotate(q, lrf_pos)
            out.lrf[k, b] = terrain.range(
                site, rot_mci_to_mcmf(o, th), rot_mci_to_mcmf(quat_rotate(q, u), th), 60_000.0
            )
        v_rel = truth.v[i] - np.cross(om, r)
        v_lever = quat_rotate(q, np.cross(truth.w_body[k], dop_pos))
        o = r + quat_rotate(q, dop_pos)
        for b, u in enumerate(dop_dirs):
            d = quat_rotate(q, u)
            out.dop_v[k, b] = d @ (v_rel + v_lever)
            out.dop_r[k, b] = terrain.range(
                site, rot_mci_to_mcmf(o, th), rot_mci_to_mcmf(d, th), 60_000.0
            )
    return out


@dataclass
class SensorPlan:
    """Which sensors deliver when (cycle counts at 10 Hz) and truth IMU errors."""

    star_every: int = 5
    trn_every: int = 10
    trn_sigma_m: float = 10.0
    trn_max_alt_m: float = 1e9
    lrf_beams: int = 1
    lrf_max_m: float = 20_000.0
    lrf_min_valid_alt_m: float = 0.0  # no range above this truth altitude if > 0 (Resilience)
    lrf_valid_below_alt_m: float = 1e9
    doppler: bool = True
    doppler_max_m: float = 10_000.0
    accel_bias_m_s2: np.ndarray | None = None  # truth bias (body); drawn from the prior if None
    gyro_bias_rad_s: np.ndarray | None = None
    noise: bool = True


def make_rows(
    site: Site,
    truth: Truth,
    tm: TruthMeasurements,
    nav: NavConfig,
    plan: SensorPlan,
    rng: np.random.Generator,
):  # noqa: ANN201
    """Measurement rows ``(K, N_*)`` for every cycle, plus the truth biases used."""
    k_n = truth.f_body.shape[0]
    imu_cfg = nav.imu
    vrw = imu_cfg.accel_vrw_m_s_sqrt_s
    arw = np.radians(imu_cfg.gyro_arw_deg_sqrt_h) / 60.0
    qba = imu_cfg.accel_bias_rw_m_s2_sqrt_s
    qbg = np.radians(imu_cfg.gyro_bias_rw_deg_h_sqrt_s) / 3600.0
    n = 1.0 if plan.noise else 0.0
    ba = (
        np.asarray(plan.accel_bias_m_s2, dtype=float)
        if plan.accel_bias_m_s2 is not None
        else n * rng.normal(0.0, nav.init.accel_bias_m_s2, 3)
    )
    bg = (
        np.asarray(plan.gyro_bias_rad_s, dtype=float)
        if plan.gyro_bias_rad_s is not None
        else n * rng.normal(0.0, np.radians(nav.init.gyro_bias_deg_h) / 3600.0, 3)
    )
    ba_hist = np.empty((k_n + 1, 3))
    bg_hist = np.empty((k_n + 1, 3))
    ba_hist[0] = ba
    bg_hist[0] = bg
    t_end = truth.t[1:]
    imu = np.zeros((k_n, M.N_IMU))
    imu[:, M.IMU_T] = t_end
    imu[:, M.IMU_DT] = DT
    imu[:, M.IMU_VALID] = 1.0
    for k in range(k_n):
        imu[k, M.IMU_DV : M.IMU_DV + 3] = (
            (truth.f_body[k] + ba_hist[k]) * DT + n * vrw * np.sqrt(DT) * rng.normal(size=3)
        )
        imu[k, M.IMU_DTHETA : M.IMU_DTHETA + 3] = (
            (truth.w_body[k] + bg_hist[k]) * DT + n * arw * np.sqrt(DT) * rng.normal(size=3)
        )
        ba_hist[k + 1] = ba_hist[k] + n * qba * np.sqrt(DT) * rng.normal(size=3)
        bg_hist[k + 1] = bg_hist[k] + n * qbg * np.sqrt(DT) * rng.normal(size=3)

    star = np.zeros((k_n, M.N_STAR))
    star[:, M.STAR_T] = t_end
    st = nav.star_tracker
    sig_st = np.radians(
        np.array([st.cross_boresight_sigma_arcsec] * 2 + [st.about_boresight_sigma_arcsec])
        / 3600.0
    )
    zb = np.asarray(st.boresight_body, dtype=float)
    zb /= np.linalg.norm(zb)
    xb = np.cross([0.3, 0.7, 0.1], zb)  # any cross-boresight axes: the noise is symmetric
    xb /= np.linalg.norm(xb)
    c_bs = np.column_stack([xb, np.cross(zb, xb), zb])
    for k in range(k_n):
        if (k + 1) % plan.star_every == 0:
            q = truth.q[k + 1]
            n_s = n * sig_st * rng.normal(size=3)
            dq = rotvec_quat(quat_rotate(q, c_bs @ n_s))
            star[k, M.STAR_Q : M.STAR_Q + 4] = quat_mul(dq, q)
            star[k, M.STAR_VALID] = 1.0

    lrf = np.zeros((k_n, M.N_LRF))
    lrf[:, M.LRF_T] = t_end
    cfg = nav.rangefinder
    for k in range(k_n):
        if tm.alt[k] > plan.lrf_valid_below_alt_m:
            continue
        for b in range(plan.lrf_beams):
            rho = tm.lrf[k, b]
            if 0.0 < rho <= plan.lrf_max_m:
                sig = cfg.sigma_m + cfg.sigma_fraction * rho
                lrf[k, M.LRF_RANGE + b] = rho + n * sig * rng.normal()
                lrf[k, M.LRF_VALID + b] = 1.0

    dop = np.zeros((k_n, M.N_DOPPLER))
    dop[:, M.DOP_T] = t_end
    dc = nav.doppler
    if plan.doppler:
        for k in range(k_n):
            for b in range(3):
                rho = tm.dop_r[k, b]
                if 0.0 < rho <= plan.doppler_max_m:
                    vl = tm.dop_v[k, b]
                    sv = dc.velocity_sigma_m_s + dc.velocity_sigma_fraction * abs(vl)
                    sr = dc.range_sigma_m + dc.range_sigma_fraction * rho
                    dop[k, M.DOP_VLOS + b] = vl + n * sv * rng.normal()
                    dop[k, M.DOP_RANGE + b] = rho + n * sr * rng.normal()
                    dop[k, M.DOP_VALID + b] = 1.0

    trn = np.zeros((k_n, M.N_TRN))
    trn[:, M.TRN_T] = t_end
    if plan.trn_every > 0:
        for k in range(k_n):
            if (k + 1) % plan.trn_every == 0 and tm.alt[k] < plan.trn_max_alt_m:
                trn[k, M.TRN_X : M.TRN_X + 2] = tm.trn[k] + n * plan.trn_sigma_m * rng.normal(
                    size=2
                )
                trn[k, M.TRN_SIGMA] = plan.trn_sigma_m
                trn[k, M.TRN_VALID] = 1.0
    return {"imu": imu, "star": star, "lrf": lrf, "dop": dop, "trn": trn}, ba_hist, bg_hist


def initial_estimate(
    p_row: np.ndarray, truth: Truth, nav: NavConfig, rng: np.random.Generator, scale: float = 1.0
):  # noqa: ANN201
    """Filter rows at t = 0 from truth plus an error drawn from the initial covariance."""
    sp = nav.init.position_m * scale
    sv = nav.init.velocity_m_s * scale
    sa = np.radians(nav.init.attitude_deg) * scale
    dth = sa * rng.normal(size=3)
    q_est = quat_mul(quat_conj(rotvec_quat(dth)), truth.q[0])
    x, cov, bk = nav_init(
        p_row,
        0.0,
        truth.r[0] - sp * rng.normal(size=3),
        truth.v[0] - sv * rng.normal(size=3),
        q_est,
    )
    return x, cov, bk


@dataclass
class Run:
    x: np.ndarray  # (K, N_X) after each cycle
    cov: np.ndarray  # (K, 15, 15)
    bk: np.ndarray  # (K, N_B)
    nav: np.ndarray  # (K, N_NAV)


def run_filter(x, cov, bk, p_row, rows, grid) -> Run:  # noqa: ANN001
    """Run :func:`nav_step` over every cycle, recording state, covariance and bookkeeping."""
    k_n = rows["imu"].shape[0]
    out = Run(
        np.empty((k_n, N_X)), np.empty((k_n, N_ERR, N_ERR)), np.empty((k_n, N_B)),
        np.empty((k_n, N_NAV)),
    )
    nav_row = np.zeros(N_NAV)
    meta, offsets, heights = grid
    imu, star, lrf, dop, trn = rows["imu"], rows["star"], rows["lrf"], rows["dop"], rows["trn"]
    for k in range(k_n):
        nav_step(imu[k, M.IMU_T], x, cov, bk, p_row, imu[k], star[k], lrf[k], dop[k], trn[k],
                 meta, offsets, heights, nav_row)
        out.x[k] = x
        out.cov[k] = cov
        out.bk[k] = bk
        out.nav[k] = nav_row
    return out


def errors(truth: Truth, run: Run, ba_hist: np.ndarray, bg_hist: np.ndarray) -> np.ndarray:
    """True-minus-estimated error states (K, 15) after each cycle."""
    from surefoot.fsw.nav.layout import X_BA, X_BG, X_Q, X_R, X_V

    k_n = run.x.shape[0]
    e = np.empty((k_n, N_ERR))
    e[:, 0:3] = truth.r[1:] - run.x[:, X_R : X_R + 3]
    e[:, 3:6] = truth.v[1:] - run.x[:, X_V : X_V + 3]
    for k in range(k_n):
        e[k, 6:9] = attitude_error(truth.q[k + 1], run.x[k, X_Q : X_Q + 4])
    e[:, 9:12] = ba_hist[1:] - run.x[:, X_BA : X_BA + 3]
    e[:, 12:15] = bg_hist[1:] - run.x[:, X_BG : X_BG + 3]
    return e


def height_error(site: Site, truth: Truth, run: Run) -> np.ndarray:
    """Estimated minus true height along the local vertical (m), per cycle."""
    from surefoot.fsw.nav.layout import X_R

    rt = np.linalg.norm(truth.r[1:], axis=1)
    re = np.linalg.norm(run.x[:, X_R : X_R + 3], axis=1)
    return re - rt
