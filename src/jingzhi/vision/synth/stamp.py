"""Anti-aliased, motion-blurred drawing of small ellipses into a float image."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]


def stamp_blurred(
    frame: F32,
    centres: npt.NDArray[np.float64],
    semi_major: npt.NDArray[np.float64],
    semi_minor: npt.NDArray[np.float64],
    angle: npt.NDArray[np.float64],
    value: float,
    opacity: float = 1.0,
) -> None:
    """Composite an ellipse swept through the sub-frame positions ``centres`` (S×2) onto ``frame`` in place.

    Each sub-sample contributes 1/S of its coverage, which is how a sensor integrates a moving object
    over the exposure (motion blur). Ellipses smaller than a pixel keep their area (fainter, not bigger).
    """
    s = centres.shape[0]
    if s == 0:
        return
    a_draw = np.maximum(semi_major, 0.6)
    b_draw = np.maximum(semi_minor, 0.6)
    area_gain = (semi_major * semi_minor) / (a_draw * b_draw)
    pad = float(a_draw.max()) + 2.0
    h, w = frame.shape
    x0 = int(np.floor(centres[:, 0].min() - pad))
    x1 = int(np.ceil(centres[:, 0].max() + pad)) + 1
    y0 = int(np.floor(centres[:, 1].min() - pad))
    y1 = int(np.ceil(centres[:, 1].max() + pad)) + 1
    x0c, x1c, y0c, y1c = max(x0, 0), min(x1, w), max(y0, 0), min(y1, h)
    if x0c >= x1c or y0c >= y1c:
        return
    ys, xs = np.mgrid[y0c:y1c, x0c:x1c].astype(np.float64)
    cover = np.zeros(xs.shape)
    for i in range(s):
        dx = xs + 0.5 - centres[i, 0]
        dy = ys + 0.5 - centres[i, 1]
        c, sn = np.cos(angle[i]), np.sin(angle[i])
        du = (dx * c + dy * sn) / a_draw[i]
        dv = (-dx * sn + dy * c) / b_draw[i]
        q = np.sqrt(du * du + dv * dv)
        # Signed distance to the boundary in pixels (approx.) -> coverage ramp one pixel wide.
        cov = np.clip(0.5 + (1.0 - q) * min(a_draw[i], b_draw[i]), 0.0, 1.0)
        cover += cov * area_gain[i]
    alpha = np.clip(cover / s * opacity, 0.0, 1.0).astype(np.float32)
    patch = frame[y0c:y1c, x0c:x1c]
    patch *= 1.0 - alpha
    patch += alpha * np.float32(value)


def stamp_gaussian(frame: F32, cx: float, cy: float, sigma: float, amplitude: float, multiply: bool = False) -> None:
    """Add (or, with ``multiply``, scale by 1+) a Gaussian bump; used for defocused insects and headlights."""
    h, w = frame.shape
    r = int(3 * sigma) + 1
    x0, x1 = max(int(cx) - r, 0), min(int(cx) + r + 1, w)
    y0, y1 = max(int(cy) - r, 0), min(int(cy) + r + 1, h)
    if x0 >= x1 or y0 >= y1:
        return
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    g = np.exp(-((xs + 0.5 - cx) ** 2 + (ys + 0.5 - cy) ** 2) / np.float32(2.0 * sigma * sigma)) * np.float32(amplitude)
    if multiply:
        frame[y0:y1, x0:x1] *= 1.0 + g
    else:
        frame[y0:y1, x0:x1] += g
