"""Hazard detection and avoidance (HDA): lidar point cloud -> safe landing site.

Entry point: :func:`detect_and_select`. Pipeline, one module each:

1. :mod:`~surefoot.fsw.hda.elevation_map` - points to site ENU with the
   ESTIMATED sensor pose, binned on a grid centred on the target; mean height,
   centroid, count and height uncertainty (range noise, attitude) per cell.
2. :mod:`~surefoot.fsw.hda.footprint_analysis` - for every cell a weighted
   least-squares plane over the lander footprint disk: slope, relief above
   (rocks) and depth below (holes, steps) the plane, coverage.
3. :mod:`~surefoot.fsw.hda.safety_map` - probability of safe (Gaussian margin
   on each limit, product), safe mask, distance to the nearest unsafe cell.
4. :mod:`~surefoot.fsw.hda.site_selection` - least cost (safety, margin,
   distance, divert propellant) among safe cells in reach.

Comparison with ALHAT (Johnson et al., "Analysis of On-Board Hazard Detection
and Avoidance for Safe Lunar Landing", IEEE Aerospace Conf. 2008): the same
core - a gridded elevation map from a flash/scanning lidar, a plane fitted
over the lander-sized footprint at every cell, slope from the plane and
roughness from the residuals, thresholds at the lander's tilt and clearance,
and a site chosen away from hazards. Choices made here:

- Relief above and depth below the plane are kept apart (rocks against the
  leg clearance, holes and steps against the maximum step), instead of one
  absolute roughness.
- Thresholds become probabilities from the flight software's noise belief
  (range noise per beam; attitude error as a common-mode tilt of the map), so
  ``safe_probability`` sets how sure the lander must be; ALHAT thresholds the
  estimates directly.
- Plane fits by FFT of moment images and residual extremes computed exactly
  per footprint (loop over the ~200 disk offsets, vectorised over cells):
  about 40 ms for a 200 x 200 map on this machine, so no
  approximation (such as a maximum filter of a global residual) is needed.
- Cells store point centroids, so planar slopes carry no gridding bias.
- Safety margin is the Euclidean distance transform of the safe mask; the
  cost also charges divert distance and bang-bang divert propellant.
- Not modelled (ALHAT handles some): several scans mosaicked, lidar
  shadowing as an explicit hazard (here a shadow is simply unobserved and
  counts against coverage), and the leg-contact geometry (the lander resting
  on the highest points rather than on the fitted plane).
"""

from surefoot.fsw.hda.detect import detect_and_select
from surefoot.fsw.hda.site_selection import HdaResult, divert_propellant_kg

__all__ = ["HdaResult", "detect_and_select", "divert_propellant_kg"]
