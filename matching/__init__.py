"""Tessera's matching library: person records in, scored and explained pairs out.

Pure: no database, HTTP, queue or pydantic; no I/O but its own packaged data files.

>>> q = build_profile({"names": ["王小明"], "birth_date": "1990-05-17", "sex": "M"})
>>> c = build_profile({"names": ["Wang Xiaoming"], "birth_date": "1990-05-17", "sex": "M"})
>>> score_pair(q, c).band
'strong'
"""

from pathlib import Path

from matching.compiled import choose

# before any compiled module loads: run them from source if their sources changed
choose(Path(__file__).resolve().parent)

from matching.comparison import Comparison, Feature, MatchResult  # noqa: E402
from matching.keys import query_keys, search_keys  # noqa: E402
from matching.profile import Profile, build_profile  # noqa: E402
from matching.scoring import ALGORITHM, score_pair  # noqa: E402

__all__ = [
    "ALGORITHM",
    "Comparison",
    "Feature",
    "MatchResult",
    "Profile",
    "build_profile",
    "query_keys",
    "score_pair",
    "search_keys",
]
