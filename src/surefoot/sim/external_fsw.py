"""Fly a plug-in flight software (``fsw.plugin``, ``surefoot.fsw.plugin``) in the simulator.

A plug-in lander's compiled step senses at each flight-software cycle (every
sensor, and the built-in navigation of ``fsw.nav.source``), then stops
(``PLUGIN_WAITING``) before any actuator acts. :func:`serve_plugins` builds
each waiting lander's :class:`~surefoot.fsw.plugin.SensorFrame` from copies of
its measurement rows, calls the plug-in, writes the command row and marks
the lander ``PLUGIN_ANSWERED``; the step resumes the same cycle from there
(telemetry, dynamics, contact). The plug-in is handed only the frame; it was
built with its :class:`~surefoot.fsw.plugin.Design` from the scenario's
``fsw`` section and the flight software's own rows, never the truth.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from surefoot.config.schema import Scenario
from surefoot.fsw.interfaces import CMD_THRUST, CMD_TORQUE
from surefoot.fsw.layout import (
    FP_DT,
    FP_ISP,
    FP_ISP_MIN_THROTTLE,
    FP_MAX_THRUST,
    FP_MIN_THROTTLE,
    FP_PROP0,
    FP_SITE_LAT,
    FP_TARGET_H,
    FS_CYCLE,
    FS_INIT,
    FS_MPROP,
    FS_THRUST_CMD,
    G0_M_S2,
)
from surefoot.fsw.nav.measurements import N_DOPPLER, N_IMU, N_LRF, N_STAR, N_TRN
from surefoot.fsw.plugin import (
    Command,
    Design,
    PluginError,
    PluginFactory,
    SensorFrame,
    command_to_actuators,
    sensor_frame,
)
from surefoot.math.engine_isp import isp_at_thrust
from surefoot.sim.kernel_state import PLUGIN_ANSWERED
from surefoot.sim.sensor_suite import SM_DOP, SM_IMU, SM_LRF, SM_STAR, SM_TRN

if TYPE_CHECKING:
    from surefoot.sim.setup import BatchArrays

Step = Callable[[SensorFrame], Command]


def _import_module(spec: str, target: str) -> Any:
    if target.endswith(".py"):
        path = Path(target)
        if not path.is_file():
            raise PluginError(f"fsw.plugin: {spec!r}: no such file {target!r}")
        digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
        name = f"surefoot_plugin_{digest}"
        if name in sys.modules:
            return sys.modules[name]
        loader_spec = importlib.util.spec_from_file_location(name, path)
        if loader_spec is None or loader_spec.loader is None:
            raise PluginError(f"fsw.plugin: {spec!r}: cannot load {target!r} as Python")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[name] = module
        try:
            loader_spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
        return module
    return importlib.import_module(target)


def load_plugin(spec: str) -> PluginFactory:
    """The factory named by ``spec`` (``module:Name`` or ``file.py:Name``).

    Raises :class:`PluginError` naming the field when it does not import,
    has no such name, or is not callable.
    """
    target, sep, attr = spec.rpartition(":")
    if not sep or not target or not attr:
        raise PluginError(
            f"fsw.plugin: {spec!r}: expected 'package.module:Name' or 'path/file.py:Name'"
        )
    try:
        module = _import_module(spec, target)
    except PluginError:
        raise
    except Exception as exc:  # noqa: BLE001 - any error in user code is bad input here
        raise PluginError(
            f"fsw.plugin: {spec!r} does not import ({type(exc).__name__}: {exc})"
        ) from None
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise PluginError(f"fsw.plugin: {spec!r}: {target!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise PluginError(
            f"fsw.plugin: {spec!r} is a {type(obj).__name__}, not a class or function "
            "that takes the Design"
        )
    return obj


def factory_name(factory: object) -> str:
    """``module:qualname`` of a factory, for messages and the scenario record."""
    module = getattr(factory, "__module__", None) or "?"
    name = getattr(factory, "__qualname__", None) or type(factory).__name__
    return f"{module}:{name}"


def importable_spec(factory: object) -> str | None:
    """A ``module:Name`` spec that loads ``factory`` again in another process, or None."""
    module = getattr(factory, "__module__", None)
    name = getattr(factory, "__qualname__", "")
    if not module or module == "__main__" or "<" in name or module.startswith("surefoot_plugin_"):
        return None
    try:
        return f"{module}:{name}" if load_plugin(f"{module}:{name}") is factory else None
    except PluginError:
        return None


def design_for(s: Scenario, fp_row: np.ndarray) -> Design:
    """The plug-in's design values: the scenario's ``fsw`` section and the flight
    software's own configuration row (target height on its onboard map)."""
    return Design(
        fsw=s.fsw,
        dt_s=float(fp_row[FP_DT]),
        site_lat_rad=float(fp_row[FP_SITE_LAT]),
        site_lon_rad=float(np.radians(s.site.lon_deg)),
        approach_azimuth_rad=float(np.radians(s.initial.approach_azimuth_deg)),
        target_height_m=float(fp_row[FP_TARGET_H]),
    )


class PluginLanders:
    """The plug-in instances of a batch, one per lander that flies one."""

    def __init__(
        self,
        b: BatchArrays,
        scenarios: list[Scenario],
        factories: list[tuple[PluginFactory, str] | None],
    ) -> None:
        """Build each lander's plug-in with its design; mark those landers external."""
        self.steps: dict[int, Step] = {}
        self.designs: dict[int, Design] = {}
        self.names: dict[int, str] = {}
        for i, entry in enumerate(factories):
            if entry is None:
                continue
            factory, name = entry
            design = design_for(scenarios[i], b.fp[i])
            try:
                made = factory(design)
            except PluginError:
                raise
            except Exception as exc:  # noqa: BLE001 - user code
                raise PluginError(
                    f"fsw.plugin: {name}(design) raised {type(exc).__name__}: {exc}"
                ) from None
            step = getattr(made, "step", None)
            if step is None and callable(made) and not isinstance(made, type):
                step = made
            if not callable(step):
                raise PluginError(
                    f"fsw.plugin: {name}(design) returned a {type(made).__name__} without "
                    "a step(frame) method"
                )
            self.steps[i] = step
            self.designs[i] = design
            self.names[i] = name
            b.external[i] = 1
            b.fs[i, FS_INIT] = 1.0
            b.fs[i, FS_MPROP] = b.fp[i, FP_PROP0]

    def serve(self, b: BatchArrays, waiting: np.ndarray) -> None:
        """Call the plug-in of every waiting lander and write its commands."""
        for i in waiting:
            i = int(i)
            fs, fp, m = b.fs[i], b.fp[i], b.suite_m[i]
            t = float(b.steps[i] * b.dt)
            design = self.designs[i]
            frame = sensor_frame(
                t,
                int(fs[FS_CYCLE]),
                m[SM_IMU : SM_IMU + N_IMU],
                m[SM_STAR : SM_STAR + N_STAR],
                m[SM_LRF : SM_LRF + N_LRF],
                m[SM_DOP : SM_DOP + N_DOPPLER],
                m[SM_TRN : SM_TRN + N_TRN],
                b.nav[i],
                len(design.fsw.nav.rangefinder.beams_body),
            )
            name = self.names[i]
            try:
                command = self.steps[i](frame)
            except PluginError:
                raise
            except Exception as exc:  # noqa: BLE001 - user code
                raise PluginError(
                    f"fsw.plugin: {name} raised {type(exc).__name__} at t = {t:.2f} s: {exc}"
                ) from None
            prop0 = fp[FP_PROP0]
            fill = max(fs[FS_MPROP], 0.0) / prop0 if prop0 > 0.0 else 0.0
            thrust, torque = command_to_actuators(command, design, fill, name, t)
            b.cmd[i, CMD_THRUST] = thrust
            b.cmd[i, CMD_TORQUE : CMD_TORQUE + 3] = torque
            # the flight software's own propellant estimate, as the built-in keeps it
            fs[FS_THRUST_CMD] = thrust
            delivered = min(max(thrust, 0.0), fp[FP_MAX_THRUST])
            isp = isp_at_thrust(
                delivered, fp[FP_MAX_THRUST], fp[FP_MIN_THROTTLE], fp[FP_ISP],
                fp[FP_ISP_MIN_THROTTLE],
            )
            fs[FS_MPROP] -= delivered / (isp * G0_M_S2) * fp[FP_DT]
            fs[FS_CYCLE] += 1.0
            b.plugin_phase[i] = PLUGIN_ANSWERED
