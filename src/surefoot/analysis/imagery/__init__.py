"""Orbital imagery of a landing site: synthetic before/after images and change detection.

- :mod:`.photometry`: regolith photometric functions (Lommel-Seeliger, Hapke).
- :mod:`.render`: orthorectified images of a height patch with cast shadows
  and a camera model (:func:`render_image`).
- :mod:`.scars`: what a landing leaves: pi-group crater scaling
  (:func:`crater_size`), reflectance zones, plume blast zone (:func:`landing_mark`).
- :mod:`.detect`: co-registration and change detection (:func:`detect_change`).
- :mod:`.io`: PNG and GeoTIFF with the pixel scale (:func:`read_image`, :func:`write_image`).
- :mod:`.site`: a flown run folder to images and a report (:func:`image_run`).

Arrays are ``(ny, nx)`` with row 0 at the southern edge, x east and y north
in the site map frame (m, target at 0, 0). Every image rendered here is
synthetic and says so in its metadata.
"""

from surefoot.analysis.imagery.detect import Detection, DetectionSettings, detect_change
from surefoot.analysis.imagery.io import GeoImage, ImageryInputError, read_image, write_image
from surefoot.analysis.imagery.photometry import Hapke, LommelSeeliger
from surefoot.analysis.imagery.render import Camera, ImageGrid, render_image, render_reflectance
from surefoot.analysis.imagery.scars import (
    LUNAR_REGOLITH,
    LandingMark,
    Touchdown,
    crater_size,
    landing_mark,
)
from surefoot.analysis.imagery.site import ImagingOptions, image_run

__all__ = [
    "LUNAR_REGOLITH",
    "Camera",
    "Detection",
    "DetectionSettings",
    "GeoImage",
    "Hapke",
    "ImageGrid",
    "ImageryInputError",
    "ImagingOptions",
    "LandingMark",
    "LommelSeeliger",
    "Touchdown",
    "crater_size",
    "detect_change",
    "image_run",
    "landing_mark",
    "read_image",
    "render_image",
    "render_reflectance",
    "write_image",
]
