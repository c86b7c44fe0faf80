"""Navigation section of the flight software's configuration."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NavConfig(_Strict):
    """Where the flight software's state estimate comes from.

    ``ideal``: the ideal-navigation sensor (truth plus white noise).
    """

    source: Literal["ideal"] = "ideal"
