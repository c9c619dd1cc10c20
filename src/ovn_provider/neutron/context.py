"""What every resource module gets: the configuration and the NB connection."""

from __future__ import annotations

from dataclasses import dataclass

from ovn_provider.config import Config
from ovn_provider.ovn.nb import Nb


@dataclass(frozen=True)
class Ctx:
    cfg: Config
    nb: Nb
