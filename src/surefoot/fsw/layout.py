"""Row layouts of the flight software: configuration row ``fp``, state row ``fs``.

One lander's flight software is two float rows: ``fp`` (``N_FP``), built
once from the configuration by :func:`surefoot.fsw.executive.fsw_params`,
and ``fs`` (``N_FS``), the state every control cycle updates. Column
positions are the ``FP_*`` and ``FS_*`` constants; blocks of ``fs`` owned by
one module (convex guidance ``FS_CONVEX``, hazard avoidance ``FS_HDA``) keep
their inner layouts there (``guidance/convex/table.py`` ``CV_*``,
``hda/sequencing.py`` ``HD_*``). ``REQ_*`` are the requests a lander raises
to the simulator's between-step services, ``RX_*`` the guidance reactions to
navigation it records. Units SI; frames in the comments.

Every module of the flight software reads the rows through these names, so
a sub-package never imports the executive for them.
"""

from __future__ import annotations

from surefoot.config.hda import MAX_LOOKS
from surefoot.fsw.guidance.convex.table import table_capacity

G0_M_S2 = 9.80665  # definition of the specific impulse unit
# configuration row
FP_GM = 0
FP_RADIUS = 1
FP_OMEGA = 2
FP_SITE_LAT = 3
FP_TARGET_H = 4
FP_G = 5  # 9: rows downrange, crossrange, up in ENU
FP_HG = 14  # 10: pos 3, vel 3, acc 3, jerk
FP_LG = 24  # 10
FP_BRAKING_TGO = 34
FP_APPROACH_TGO = 35
FP_MIN_TGO = 36
FP_TERM_RATE = 37
FP_TERM_GAIN = 38
FP_MAX_TILT = 39
FP_DRY_MASS = 40
FP_PROP0 = 41
FP_MAX_THRUST = 42
FP_MIN_THROTTLE = 43
FP_ISP = 44
FP_I_DRY = 45  # 3
FP_I_PROP = 48  # 3
FP_MAX_TORQUE = 51  # 3
FP_WN = 54
FP_ZETA = 55
FP_MAX_SLEW = 56
FP_DT = 57
FP_GUID_EVERY = 58
FP_UNTRUSTED_VMAX = 59
FP_CVX_ON = 60  # 1.0 when convex guidance flies the approach
FP_CVX_START_ALT = 61  # start in braking below this height above the target, m; < 0: high gate
FP_CVX_PERIOD = 62  # re-solve period, s (0: once)
FP_CVX_MIN_TGO = 63  # no periodic re-solve with less time to go, s
FP_CVX_KP = 64  # tracking position gain, 1/s^2
FP_CVX_KV = 65  # tracking velocity gain, 1/s
FP_HDA_N_LOOKS = 66  # hazard looks to take (0: hazard avoidance off)
FP_HDA_H = 67  # MAX_LOOKS: estimated height above the target of each look, m
FP_EXEC_DUTY = FP_HDA_H + MAX_LOOKS  # share of the processor one control cycle needs
FP_EXEC_LIMIT = FP_EXEC_DUTY + 1  # backlog of late work that restarts the executive, s
FP_EXEC_HOLD = FP_EXEC_DUTY + 2  # guidance holds its command this long after a restart, s
FP_ISP_MIN_THROTTLE = FP_EXEC_DUTY + 3  # design Isp at the minimum throttle, s
N_FP = FP_EXEC_DUTY + 4

# state row
FS_PHASE = 0
FS_TGO = 1
FS_MPROP = 2
FS_ATHRUST = 3  # 3, ENU, m/s^2
FS_CYCLE = 6
FS_T_APPROACH = 7
FS_T_TERMINAL = 8
FS_THRUST_CMD = 9
FS_INIT = 10
FS_ACMD = 11  # 3, guidance acceleration command, ENU
FS_TARGET = 14  # 3: target offset from (0, 0, target height) in site ENU, m (a divert moves it)
FS_REQUEST = 17  # bit flags (REQ_*) asking the simulator's between-step services for work
FS_REQUEST_T = 18  # flight-software time of the newest request, s
FS_NAV_FLAGS = 19  # guidance reaction bits of the last cycle (RX_*)
# reserved blocks, owned by the modules that use them
FS_CONVEX = 20  # convex guidance: trajectory table and bookkeeping
N_FS_CONVEX = 400
FS_HDA = FS_CONVEX + N_FS_CONVEX  # hazard detection and avoidance bookkeeping
N_FS_HDA = 40
FS_EXEC = FS_HDA + N_FS_HDA  # executive bookkeeping (EX_* below)
N_FS_EXEC = 6 + 16
N_FS = FS_EXEC + N_FS_EXEC
assert table_capacity(N_FS_CONVEX) >= 40

# executive block (FS_EXEC + EX_*)
EX_BACKLOG = 0  # late work, s of the processor
EX_HOLD_UNTIL = 1  # guidance is shed until this flight-software time, s
EX_RESTARTS = 2  # restarts so far (each one an alarm)
EX_SHED = 3  # guidance cycles shed so far
EX_T = 6  # times of the first EX_MAX_T restarts, s
EX_MAX_T = 16

# requests to the simulator's services (FS_REQUEST bits). A lander that raises
# one pauses after its current step; the service answers between two steps
# (the software waits one simulation step for it) and clears the bit.
REQ_CONVEX_SOLVE = 1 << 0
REQ_HAZARD_SCAN = 1 << 1

# guidance reactions (FS_NAV_FLAGS bits)
RX_ALT_UNTRUSTED = 1 << 0  # descent rate capped to what the trusted altitude allows
# latched bits (kept from cycle to cycle)
RX_HEIGHT_LOST = 1 << 1  # navigation reports the height untrusted (cleared when trusted again)
RX_RECOVERY = 1 << 2  # height re-anchored below the high gate while braking: terminal descent
RX_REJOIN = 1 << 3  # the height was untrusted once: descent bounded by stopping distance since
RX_COMMIT = 1 << 4  # untrusted height, waiting budget spent: committed to the descent
