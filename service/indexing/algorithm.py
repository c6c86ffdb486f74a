"""The service's matching algorithm, registered at start-up.

The library's name-and-attribute features plus the face, whose weight is capped so a
face alone never makes a match strong. Nothing happens at import: :func:`register`
(called by the app's lifespan and by each worker process as it starts) adds the face
comparator to the library, builds the algorithm and the profile cache; :func:`matcher`
hands them out afterwards.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from uuid import UUID

from matching import Profile, build_profile
from matching.comparison import Comparison
from matching.faces import compare_face_sets, load_face_config
from matching.keys import KEYS_VERSION
from matching.scoring import DEFAULT, Algorithm, extend_algorithm
from service.indexing.repository import StoredProfile

FACE_CONFIG = load_face_config()
_FACE_LABEL = f"face-{FACE_CONFIG.version}"
#: The id of the service's algorithm, recorded with profiles, runs and decisions.
ALGORITHM = f"{DEFAULT.id}+{_FACE_LABEL}"
#: What a stored profile was built with: the algorithm and the search-key scheme. A
#: profile of another version is rebuilt (see :func:`service.indexing.service.reindex_stale`).
PROFILE_VERSION = f"{ALGORITHM}/{KEYS_VERSION}"


def face_comparator(query: Profile, candidate: Profile) -> Comparison:
    """Face: the closest pair of the two people's face embeddings, judged against the
    calibrated distance thresholds; the detail states the distance and the threshold."""
    return compare_face_sets(query.faces, candidate.faces)


class ProfileCache:
    """Built profiles by subject and content, so a process builds each one once."""

    def __init__(self, size: int = 100_000) -> None:
        self._size = size
        self._items: OrderedDict[tuple[UUID, str], Profile] = OrderedDict()

    def get(self, stored: StoredProfile) -> Profile:
        key = (stored.subject_id, stored.person_hash)
        profile = self._items.get(key)
        if profile is None:
            profile = build_profile(stored.person)
            self._items[key] = profile
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(key)
        return profile


@dataclass(frozen=True, slots=True)
class Matcher:
    """The registered algorithm and this process's cache of built profiles."""

    algorithm: Algorithm
    profiles: ProfileCache


_registered: Matcher | None = None


def register() -> Matcher:
    """Register the face comparator with the library and build the service's algorithm
    (idempotent). The app's lifespan and every worker process call it at start-up."""
    global _registered
    if _registered is None:
        algorithm = extend_algorithm(
            DEFAULT, FACE_CONFIG.raw["feature"], face_comparator, label=_FACE_LABEL
        )
        if algorithm.id != ALGORITHM:
            raise RuntimeError(f"the face algorithm is {algorithm.id}, expected {ALGORITHM}")
        _registered = Matcher(algorithm=algorithm, profiles=ProfileCache())
    return _registered


def matcher() -> Matcher:
    """The matcher :func:`register` built; scoring before start-up is a programming error."""
    if _registered is None:
        raise RuntimeError(
            "the matching algorithm is not registered: call "
            "service.indexing.algorithm.register() at start-up"
        )
    return _registered
