"""Terrain section of a scenario: synthetic generator settings or a DEM file."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from surefoot.config.base import StrictModel


class _Strict(StrictModel):
    """Strict, frozen, finite (surefoot.config.base)."""


class CraterPopulation(_Strict):
    """Cumulative size-frequency law ``N(>D) = density_per_km2_above_1km * (D / 1 km)^-exponent``.

    Counts are per km^2 of surface. Defaults follow an equilibrium-like
    mare population (cumulative slope about -2 below a few hundred metres;
    Neukum production function magnitudes of order 1e-2 per km^2 above 1 km).

    Fresh simple craters are parabolic bowls ``depth_to_diameter * D`` deep
    below the rim crest with a rim ``rim_height_to_diameter * D`` above the
    plain (Pike 1977), and an ejecta blanket thinning as ``(r / R)^-3``
    (McGetchin, Settle and Head 1973) out to ``ejecta_extent_radii`` crater
    radii. Each crater's depth and rim are scaled by a freshness drawn
    uniformly in ``[min_freshness, 1]`` (degraded older craters); 1 keeps all
    craters fresh.
    """

    density_per_km2_above_1km: float = Field(1.0e-2, ge=0.0, le=10.0)
    exponent: float = Field(2.0, gt=0.5, le=4.0)
    min_diameter_m: float = Field(5.0, ge=0.1, le=100_000.0)
    max_diameter_m: float = Field(5000.0, ge=0.1, le=100_000.0)
    depth_to_diameter: float = Field(0.196, gt=0.0, le=0.5)
    rim_height_to_diameter: float = Field(0.036, ge=0.0, le=0.2)
    ejecta_extent_radii: float = Field(5.0, ge=1.5, le=20.0)
    min_freshness: float = Field(0.3, gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _order(self) -> CraterPopulation:
        if self.max_diameter_m <= self.min_diameter_m:
            raise ValueError("max_diameter_m must be greater than min_diameter_m")
        return self


class BoulderPopulation(_Strict):
    """Cumulative law ``N(>D) = density_per_m2_above_1m * (D / 1 m)^-exponent`` per m^2.

    Boulders are placed only on the fine level around the site.
    """

    density_per_m2_above_1m: float = Field(1.0e-3, ge=0.0, le=1.0)
    exponent: float = Field(2.5, gt=0.5, le=5.0)
    min_diameter_m: float = Field(0.3, ge=0.01, le=100.0)
    max_diameter_m: float = Field(4.0, ge=0.01, le=100.0)
    height_to_diameter: float = Field(0.5, gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _order(self) -> BoulderPopulation:
        if self.max_diameter_m <= self.min_diameter_m:
            raise ValueError("max_diameter_m must be greater than min_diameter_m")
        return self


class LargeCrater(_Strict):
    """One large (complex) crater, e.g. Atlas: flat floor, terraced wall, raised rim.

    Centre in the site map frame (m east, m north of the site); ``depth_m`` is
    floor below the surrounding plain, ``rim_height_m`` rim crest above it.
    The wall rises from the floor edge (``floor_diameter_fraction`` of the
    diameter) to the rim crest in ``terraces`` steps (0: one smooth wall);
    outside the rim the ejecta thins as ``(r / R)^-3`` out to
    ``ejecta_extent_radii`` radii.
    """

    center_east_m: float = 0.0
    center_north_m: float = 0.0
    diameter_m: float = Field(87_000.0, gt=100.0, le=1_000_000.0)
    depth_m: float = Field(2000.0, gt=0.0, le=10_000.0)
    rim_height_m: float = Field(1000.0, ge=0.0, le=10_000.0)
    floor_diameter_fraction: float = Field(0.6, gt=0.0, lt=1.0)
    terraces: int = Field(3, ge=0, le=10)
    ejecta_extent_radii: float = Field(3.0, ge=1.5, le=20.0)


class TerrainConfig(_Strict):
    """Truth terrain around the ground track and the site.

    Levels: coarse over the whole ground track from powered-descent
    initiation (``track_half_width_m`` either side; the spacing grows when
    a diagonal track would need too many nodes), medium in a square of half
    width ``medium_half_width_m`` around the site, fine (metre scale, with
    boulders) in a square of half width ``fine_half_width_m``. Heights are m
    above the reference sphere; ``base_height_m`` is the undisturbed plain.

    With ``source: file`` the DEM in ``dem_file`` (``.npy``, ``.npz`` or
    GeoTIFF; ``dem_pixel_m`` when the file has no pixel size) replaces the
    synthetic levels it covers, on top of the synthetic coarse level; when
    ``base_height_m`` is not given the plain is set to the median height of
    the DEM's edge so that the two meet smoothly.

    A GeoTIFF is placed by its own georeference: a latitude/longitude
    referenced tile (geographic, equirectangular or polar stereographic on
    the Moon sphere) is reprojected around the site (``dem_pixel_m`` then sets
    the resampled spacing); a tile in another projected frame in metres needs
    the site's coordinates in that frame, ``dem_site_easting_m`` and
    ``dem_site_northing_m``. A file without a georeference is centred on
    the site.
    """

    source: Literal["synthetic", "file"] = "synthetic"
    seed: int = Field(0, ge=0, lt=2**63)  # the bound of Scenario.seed
    dem_file: str | None = None
    dem_pixel_m: float | None = Field(None, ge=0.01, le=100_000.0)
    dem_site_easting_m: float | None = Field(None, ge=-1.0e8, le=1.0e8)
    dem_site_northing_m: float | None = Field(None, ge=-1.0e8, le=1.0e8)
    base_height_m: float = Field(0.0, ge=-10_000.0, le=10_000.0)
    coarse_spacing_m: float = Field(100.0, ge=10.0, le=2000.0)
    track_half_width_m: float = Field(15_000.0, ge=1000.0, le=200_000.0)
    medium_spacing_m: float = Field(10.0, ge=1.0, le=200.0)
    medium_half_width_m: float = Field(8_000.0, ge=500.0, le=50_000.0)
    fine_spacing_m: float = Field(1.0, ge=0.1, le=10.0)
    fine_half_width_m: float = Field(800.0, ge=50.0, le=5_000.0)
    craters: CraterPopulation = CraterPopulation()
    boulders: BoulderPopulation = BoulderPopulation()
    large_crater: LargeCrater | None = None

    @model_validator(mode="after")
    def _file_needs_path(self) -> TerrainConfig:
        if self.source == "file" and not self.dem_file:
            raise ValueError("source 'file' needs dem_file (a .npy, .npz or GeoTIFF path)")
        return self

    @model_validator(mode="after")
    def _site_in_dem_frame(self) -> TerrainConfig:
        if (self.dem_site_easting_m is None) != (self.dem_site_northing_m is None):
            raise ValueError(
                "give both dem_site_easting_m and dem_site_northing_m (the site in the DEM "
                "file's projected frame, m) or neither"
            )
        return self

    @model_validator(mode="after")
    def _levels_nest(self) -> TerrainConfig:
        if not self.fine_spacing_m < self.medium_spacing_m <= self.coarse_spacing_m:
            raise ValueError(
                "spacings must satisfy fine_spacing_m < medium_spacing_m <= coarse_spacing_m"
            )
        if self.fine_half_width_m >= self.medium_half_width_m:
            raise ValueError("fine_half_width_m must be smaller than medium_half_width_m")
        return self
