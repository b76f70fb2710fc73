"""Run profiles: how big each experiment is.

- smoke: everything on 2 CPU cores in minutes (CI, nbval).
- standard: meaningful results on a 2-core CPU; the committed figures come from it.
- full: paper scale, for one GPU.
Each module keeps its own per-profile settings (e.g. `autoencoder.PROFILES`); this module names them.
"""
from __future__ import annotations

import os

PROFILES = ("smoke", "standard", "full")


def resolve(profile: str | None = None) -> str:
    """Profile name from the argument, else $N2S_PROFILE, else 'smoke'; 'auto' is 'full' on CUDA, else 'standard'."""
    profile = profile or os.environ.get("N2S_PROFILE", "smoke")
    if profile == "auto":
        import torch

        return "full" if torch.cuda.is_available() else "standard"
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES + ('auto',)}, got {profile!r}")
    return profile


def lookup(table: dict, profile: str, owner: str) -> dict:
    """table[profile], the settings `owner` (e.g. "autoencoder") keeps for that profile; an unknown name
    raises a ValueError that lists the known ones."""
    if profile not in table:
        raise ValueError(f"{owner} profile must be one of {sorted(table)}, got {profile!r}")
    return table[profile]
