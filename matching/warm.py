"""Loading the learned transliteration tables ahead of the first query.

The tables load lazily, per script, the first time a name in that script is read: a
second or more the first time. The API calls :func:`warm_up` once at start so no
partner query waits for it.
"""

from __future__ import annotations

from matching.profile import build_profile

__all__ = ["warm_up"]

#: One name per script the learned models cover.
_SAMPLES = ("Ахмед Мансур", "أحمد منصور", "王小明", "אחמד מנסור", "김민준", "アハメド", "山田太郎")


def warm_up() -> None:
    """Read one name in every covered script, loading each script's tables."""
    for name in _SAMPLES:
        build_profile({"names": [name]})
