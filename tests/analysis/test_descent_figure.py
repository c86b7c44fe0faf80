"""The descent figure's line thinning keeps what a reader sees: spikes, ends, order."""

from __future__ import annotations

import numpy as np

from surefoot.analysis.descent_report import _thin_image, envelope


def test_envelope_keeps_extremes_and_ends() -> None:
    rng = np.random.default_rng(3)
    t = np.linspace(0.0, 1400.0, 14_349)
    y = np.cumsum(rng.standard_normal(t.size))
    y[5000] += 500.0  # a one-sample spike, which a plain stride would drop
    y[9001] -= 400.0
    tx, ty = envelope(t, y, buckets=800)
    assert tx.size <= 2 * 800 + 40
    assert np.all(np.diff(tx) > 0)
    assert tx[0] == t[0] and tx[-1] == t[-1]
    assert ty.max() == y.max() and ty.min() == y.min()
    # every bucket's extremes survive, so the drawn band is the same
    k = -(-t.size // 800)
    for b in range(0, t.size - k, k):
        sl = slice(b, b + k)
        kept = ty[(tx >= t[sl][0]) & (tx <= t[sl][-1])]
        assert kept.max() == y[sl].max() and kept.min() == y[sl].min()


def test_envelope_leaves_short_curves_alone() -> None:
    t = np.arange(100.0)
    y = np.sin(t)
    tx, ty = envelope(t, y, buckets=800)
    assert tx is t and ty is y


def test_thin_image_bounds_the_side() -> None:
    h = np.arange(1601 * 801, dtype=float).reshape(801, 1601)
    thin, s = _thin_image(h, max_px=400)
    assert max(thin.shape) <= 401 and s == 5
    assert thin[0, 0] == h[0, 0] and thin[1, 1] == h[s, s]
