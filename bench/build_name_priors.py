"""Build ``matching/data/name_priors.json``: how common name parts are in the population
of each naming tradition (issue 18), from published, cited figures.

The table gives, per tradition, the share of the tradition's people who bear a name part
(as any part of their name); spellings of one name (Mohammed/Muhammad/Mohamed, Huynh/Hoang,
Camara/Kamara, Wong/Wang) share one entry, so that a fuzzy agreement of a common name is as
common as the name. The matcher (:mod:`matching.frequency`) uses a share as the chance that
a random other person bears the part, blended with the gallery's own counts.

Three kinds of figure, each entry says which:

* ``published``: a share or a count of bearers published by the source (a count is divided
  by the population stated beside it);
* ``rank``: the part's rank in a published list of the most common names, turned into a
  share by Zipf's law ``share(r) = top / r`` from an anchor share for rank 1 (the anchor is
  published where the source gives one, otherwise an assumption stated here);
* ``assumption``: no figure found; the share is an assumption, stated and kept low only
  where that is the safe side (a commoner name weighs less).

Sources (read 2026-12-07; numbers transcribed here by hand, so the build reads no file):

* ``mps2007``: China's Ministry of Public Security national surname survey, China Daily
  2007-04-25 (https://language.chinadaily.com.cn/2007-04/25/content_860022.htm): Wang
  7.25 %, Li 7.19 %, Zhang 6.83 % of 1.3 billion.
* ``wp-surnames``: Wikipedia, "Lists of most common surnames" (as collected, CC0, in
  github.com/sigpwned/popular-names-by-country-dataset, common-surnames-by-country.csv,
  July 2023): Chinese counts of bearers (of 1.4 billion) with their Cantonese spellings;
  Russian shares (Smirnov 1.61 %, ...); ranks for India, Bangladesh, Nepal.
* ``wp-given``: Wikipedia, "List of most popular given names" (same collection,
  common-forenames-by-country.csv): ranks for Russia (adults), Egypt, Iraq, Iran,
  Pakistan, Bangladesh, Saudi Arabia, Mali.
* ``mps2019``: Ministry of Public Security 2019 name report (Shanghai Daily 2020-01-21,
  https://archive.shine.cn/nation/Which-names-top-the-popularity-list/shdaily.shtml):
  Zhang Wei ~300,000, Wang Wei 287,101, Li Na ~270,000 bearers of the full name.
* ``wp-vietnamese``: Wikipedia, "Vietnamese name" (figures as quoted by
  https://www.sideeffects.com/page/vietnamese-surnames-behind-the-name-9d200b): Nguyen
  38 %, Tran 11 %, Le 9.5 %, Pham 7.1 %, Huynh/Hoang 5.1 %, Phan 4.5 %, Vu/Vo 3.9 %,
  Dang 2.1 %, Bui 2 %, Do 1.4 %, Ho 1.3 %, Ngo 1.3 %, Duong 1 %, Ly 0.5 %.
* ``slate-diallo``: Slate, 2011-07-27 (quoted at https://erickoch.wordpress.com/2011/07/29/diallo/):
  Diallo ~10 % of Guineans; Fulbe (two fifths of Guineans) almost all bear Diallo, Barry,
  Balde/Bah or Sow, none much commoner than the others.
* ``wpr-africa``: World Population Review via Pulse, 2024-12-13
  (https://www.pulse.ug/articles/lifestyle/these-are-the-most-common-surnames-in-every-african-country-2024121308311003761):
  the commonest surname per country (Mali Traore, Ivory Coast Kone, Guinea Diallo,
  Senegal Ndiaye, Burkina Faso Ouedraogo, Sierra Leone Kamara, Nigeria Ibrahim, Ethiopia
  Tesfaye, Eritrea and Somalia Ali, Djibouti Muhamed, Sudan Ahmed).
* ``columbia``: The Columbia Encyclopedia, 6th ed. (2000), as quoted at
  http://islamandpsychology.blogspot.com/2011/05/most-common-name-in-world-muhammad.html:
  more than 150 million men and boys bear Muhammad (of about 1.6 billion Muslims, so
  about 9 % of people in the traditions where it is given).
* ``guineeactu``: list of Guinean family names (http://guineeactu.info/, 2009): Sylla,
  Bangoura, Soumah, Keita, Camara/Kamara, Traore, Barry, Conde, Bah/Ba, Diallo, Balde,
  Sow, Toure, Fofana, Cisse, Kante, Konate, Kouyate, Diakite, Diabate, ...
* ``ethiopia-names``: https://ourpublicrecords.org/ethiopian-names and
  https://surnam.es/ethiopia, https://surnam.es/eritrea: common Ethiopian and Eritrean
  names (Gebremedhin, Tadesse, Assefa, Haile, Abebe, Alemayehu, Tesfaye, Hagos, Berhe);
  Ethiopian and Eritrean names are a given name and the father's (and grandfather's)
  given name, so one list serves every position.

Usage::

    .venv/bin/python bench/build_name_priors.py [--out matching/data/name_priors.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matching.normalize import ascii_fold  # noqa: E402

SOURCES: dict[str, str] = {
    "mps2007": "https://language.chinadaily.com.cn/2007-04/25/content_860022.htm",
    "wp-surnames": "https://en.wikipedia.org/wiki/Lists_of_most_common_surnames "
    "(via github.com/sigpwned/popular-names-by-country-dataset, CC0, 2023-07)",
    "wp-given": "https://en.wikipedia.org/wiki/List_of_most_popular_given_names "
    "(via github.com/sigpwned/popular-names-by-country-dataset, CC0, 2023-07)",
    "mps2019": "https://archive.shine.cn/nation/Which-names-top-the-popularity-list/shdaily.shtml",
    "wp-vietnamese": "https://en.wikipedia.org/wiki/Vietnamese_name (as quoted at "
    "https://www.sideeffects.com/page/vietnamese-surnames-behind-the-name-9d200b)",
    "slate-diallo": "https://erickoch.wordpress.com/2011/07/29/diallo/ (quoting Slate, 2011-07-27)",
    "wpr-africa": "https://www.pulse.ug/articles/lifestyle/"
    "these-are-the-most-common-surnames-in-every-african-country-2024121308311003761",
    "columbia": "http://islamandpsychology.blogspot.com/2011/05/"
    "most-common-name-in-world-muhammad.html (quoting The Columbia Encyclopedia, 6th ed.)",
    "guineeactu": "http://guineeactu.info/HTML/guinee-et-d%E2%80%99abord-se-connaitre-soi-meme-"
    "appel-a-la-cooperation.htm",
    "ethiopia-names": "https://ourpublicrecords.org/ethiopian-names; https://surnam.es/ethiopia; "
    "https://surnam.es/eritrea",
}

# A group: spellings of one name part | share (0..1) | kind | source.
Group = tuple[str, float, str, str]


def zipf(names: list[str], top: float, source: str, *, start: int = 1) -> list[Group]:
    """Ranked names (``a|b`` for spellings of one name) → shares ``top / rank``."""
    return [(n, top / (start + i), "rank", source) for i, n in enumerate(names)]


CHINESE_POP = 1.4e9
# (pinyin|Cantonese|Wade–Giles spellings, bearers) from wp-surnames; top three from mps2007.
CHINESE_FAMILY: list[Group] = [
    ("wang|wong|vong", 0.0725, "published", "mps2007"),
    ("li|lee|lei|lai", 0.0719, "published", "mps2007"),
    ("zhang|cheung|chang|cheong", 0.0683, "published", "mps2007"),
    *(
        (names, round(count / CHINESE_POP, 5), "published", "wp-surnames")
        for names, count in [
            ("liu|lau|lao", 72.1e6),
            ("chen|chan|chin|tan", 63.0e6),
            ("yang|yeung|yeoh", 46.2e6),
            ("huang|wong|hwang|ng", 33.7e6),
            ("zhao|chiu|chao|chew", 28.6e6),
            ("wu|ng|woo|goh", 27.8e6),
            ("zhou|chow|chou|chau", 26.8e6),
            ("xu|tsui|hsu|hui", 20.2e6),
            ("sun|suen|syun", 19.4e6),
            ("ma|mah", 19.1e6),
            ("zhu|chu|chue", 18.1e6),
            ("hu|wu|woo", 16.5e6),
            ("guo|kwok|kuo|kwek", 15.8e6),
            ("he|ho|hoh", 14.8e6),
            ("lin|lam|lim", 14.2e6),
            ("gao|ko|kao|kou", 14.1e6),
            ("luo|law|lo|loh", 14.0e6),
        ]
    ),
]
# Full given names: Zhang Wei ~300,000 of ~95 M Zhangs (0.31 %), Li Na ~270,000 of ~101 M
# Lis (0.27 %); the report's other top full names rank after them.
CHINESE_GIVEN: list[Group] = [
    ("wei|wai", 0.0031, "published", "mps2019"),
    ("na|nah", 0.0027, "published", "mps2019"),
    *zipf(["fang|fong", "min|man", "jing|ching", "xiuying|sauying"], 0.0031, "mps2019", start=3),
    *(
        (n, 0.002, "assumption", "mps2019")
        for n in ["xiaoming|siuming|hsiaoming", "jun|chun|kwan", "ming", "yan|yin", "hong|hung"]
    ),
]

VIETNAMESE_FAMILY: list[Group] = [
    (names, share, "published", "wp-vietnamese")
    for names, share in [
        ("nguyen|nguyễn", 0.38),
        ("tran|trần", 0.11),
        ("le|lê", 0.095),
        ("pham|phạm", 0.071),
        ("huynh|hoang|huỳnh|hoàng", 0.051),
        ("phan", 0.045),
        ("vu|vo|vũ|võ", 0.039),
        ("dang|đặng", 0.021),
        ("bui|bùi", 0.02),
        ("do|đỗ", 0.014),
        ("ho|hồ", 0.013),
        ("ngo|ngô", 0.013),
        ("duong|dương", 0.01),
        ("ly|lý", 0.005),
    ]
]
# No published share found: Văn and Thị are the customary middle names of men and of
# women (wp-vietnamese); taken as borne by half of one sex each.
VIETNAMESE_GIVEN: list[Group] = [
    ("van|văn", 0.25, "assumption", "wp-vietnamese"),
    ("thi|thị", 0.25, "assumption", "wp-vietnamese"),
    *(
        (n, 0.01, "assumption", "wp-vietnamese")
        for n in [
            "hung|hùng",
            "huong|hương",
            "anh",
            "minh",
            "linh",
            "tuan|tuấn",
            "hoa",
            "lan",
            "hai|hải",
            "thanh",
            "dung|dũng",
            "hanh|hạnh",
            "thu",
            "mai",
            "nam",
            "long",
        ]
    ),
]

# wp-surnames: Russia, share of bearers; the feminine form shares the entry.
SLAVIC_FAMILY: list[Group] = [
    (f"{m}|{m}a", share, "published", "wp-surnames")
    for m, share in [
        ("smirnov", 0.0161), ("ivanov", 0.0130), ("kuznetsov", 0.0090), ("popov", 0.0079),
        ("sokolov", 0.0073), ("lebedev", 0.0065), ("kozlov", 0.0058), ("novikov", 0.0054),
        ("morozov", 0.0053), ("petrov", 0.0044),
    ]
]  # fmt: skip
# wp-given, Russia (adults), ranks; anchor: the commonest adult name taken as borne by
# about 8 % of one sex (4 % of people), an assumption on the safe side.
SLAVIC_GIVEN: list[Group] = [
    *zipf(
        ["aleksandr|alexander|oleksandr", "sergei|sergey|serhiy", "dmitry|dmitri|dmytro",
         "andrei|andrey|andriy", "alexey|aleksei|oleksiy", "maxim|maksim|maksym",
         "evgeny|yevgeny", "ivan", "mikhail|mykhailo", "artyom|artem"],
        0.04, "wp-given",
    ),
    *zipf(
        ["anastasia|anastasiya", "yelena|elena|olena", "olga|olha", "natalia|natalya",
         "yekaterina|ekaterina", "anna", "tatiana|tatyana", "maria|mariya", "irina|iryna",
         "yulia|yuliya"],
        0.04, "wp-given",
    ),
]  # fmt: skip

MUHAMMAD = (
    "mohammed|muhammad|mohamed|mohammad|muhammed|mohamad|muhamed|mohamud|maxamed|"
    "mahamat|mehmet|mohd|muhamad"
)
# columbia: ~150 M bearers among ~1.6 bn Muslims ≈ 9 %; as a father's or grandfather's
# name too it is borne (in some position) by more: 10 % taken.
ARABIC: list[Group] = [
    (MUHAMMAD, 0.10, "published", "columbia"),
    *zipf(
        ["ahmed|ahmad|ahmet", "ali", "hussein|hussain|hossein|husain", "hassan|hasan",
         "omar|umar", "abdullah|abdallah|abdulla", "ibrahim|ebrahim", "mahmoud|mahmood|mahmud",
         "mustafa|mostafa", "youssef|yousef|yusuf", "khaled|khalid", "mahdi|mehdi",
         "reza", "abbas", "karim|kareem", "hamza", "bilal", "abdulrahman|abdelrahman"],
        0.05, "wp-given",
    ),
    *zipf(
        ["fatima|fatemeh|fatma|fatoumata", "zahra", "maryam|mariam", "zeinab|zainab",
         "aisha|ayesha|aicha", "amina", "khadija|khadije|khadidja"],
        0.04, "wp-given",
    ),
    ("al|el", 0.3, "assumption", "wp-surnames"),  # the article, where it is written apart
    *(
        (n, 0.01, "assumption", "wp-given")
        for n in ["alhassan|al-hassan|elhassan", "alhussein|al-hussein", "alali|al-ali"]
    ),
]  # fmt: skip

SOUTH_ASIAN: list[Group] = [
    *zipf(["devi", "kumar", "singh", "sharma", "ali", "yadav", "patel"], 0.05, "wp-surnames"),
    *zipf(
        ["akter|akhtar|akhter", "islam", "khatun|khatoon", "hossain|hussain", "rahman", "ahmed"],
        0.04,
        "wp-surnames",
    ),
    ("khan", 0.04, "assumption", "wp-surnames"),
    *zipf(
        ["abdul", "syed|sayed", "kazi|qazi", "sheikh|shaikh", "hasan"], 0.02, "wp-given", start=3
    ),
]

# wpr-africa, slate-diallo, guineeactu: Diallo ~10 % of Guineans, Barry, Bah/Balde and Sow
# as common; the other commonest family names by rank from 5 %.
WEST_AFRICAN_FAMILY: list[Group] = [
    *(
        (n, 0.10, "published", "slate-diallo")
        for n in ["diallo|jalloh|djalo", "barry|bari", "bah|balde|ba", "sow|sow"]
    ),
    *zipf(
        ["traore|traore", "kone|kone", "camara|kamara", "keita|keita", "toure|toure",
         "sylla|sila", "bangoura", "conde|conte", "cisse|cisse", "ndiaye|diaye", "diop",
         "ouedraogo", "fofana", "sangare", "coulibaly|kulibali", "konate", "diarra",
         "kouyate", "diakite", "soumah|souma", "kourouma"],
        0.05, "wpr-africa",
    ),
]  # fmt: skip
# wp-given, Mali, ranks (one list per sex), anchor 4 % of people.
WEST_AFRICAN_GIVEN: list[Group] = [
    *zipf(["mamadou|mamadu", "moussa|musa", "mahamadou", "adama", "bakary|bakari",
           "abdoulaye|abdulai", "modibo", "oumar|umaru", "sekou|seku", "souleymane|sulaiman",
           "ibrahima", "amadou|ahmadou", "ousmane|usman", "alpha", "lamine"],
          0.04, "wp-given"),
    *zipf(["fatoumata|fatimata|fatou", "mariam|mariama", "aminata", "hawa|awa", "oumou",
           "djeneba|jeneba", "bintou|binta", "fanta", "kadiatou|kadiatu|khadiatou",
           "aissatou|aissata|aisatou", "mariama", "ramatoulaye"],
          0.04, "wp-given"),
]  # fmt: skip

# ethiopia-names, wpr-africa: Tesfaye the commonest Ethiopian name, Ali the commonest in
# Eritrea and Somalia; one list for every position (names are given + father's given).
HORN: list[Group] = [
    *zipf(
        [
            "tesfaye|tesfay|tesfai",
            "ali",
            "mohamed|maxamed|mohammed",
            "ahmed|axmed",
            "abdi|abdie",
            "hassan|xasan",
            "gebremedhin|gebremedihin|gebre-medhin",
            "tadesse|tadese",
            "haile|hailu",
            "berhe|berhane",
            "hagos",
            "kidane",
            "yohannes|johannes",
            "abebe",
            "girma",
            "alemayehu|alemayhu",
            "mulugeta",
            "getachew",
            "assefa|asefa",
            "gebreyesus|gebre-yesus",
            "tekle|teklay",
            "hussein|xuseen",
            "omar|cumar",
            "abdullahi|cabdullahi",
        ],
        0.04,
        "ethiopia-names",
    ),
    *zipf(
        [
            "aster",
            "amina|aamina",
            "hiwet|hiwot",
            "selam|selamawit",
            "tigist",
            "halima|xaliimo",
            "fatuma|faadumo",
            "meron",
            "saba",
            "almaz",
        ],
        0.02,
        "ethiopia-names",
    ),
]

TRADITIONS: dict[str, list[Group]] = {
    "chinese": CHINESE_FAMILY + CHINESE_GIVEN,
    "vietnamese": VIETNAMESE_FAMILY + VIETNAMESE_GIVEN,
    "arabic_persian": ARABIC,
    "horn_of_africa": HORN,
    "west_african": WEST_AFRICAN_FAMILY + WEST_AFRICAN_GIVEN,
    "slavic": SLAVIC_FAMILY + SLAVIC_GIVEN,
    "south_asian": SOUTH_ASIAN,
}


def build() -> dict[str, Any]:
    """The table: per tradition, each folded spelling's share, kind and source."""
    traditions: dict[str, dict[str, list[Any]]] = {}
    for tradition, groups in TRADITIONS.items():
        parts: dict[str, list[Any]] = {}
        for spellings, share, kind, source in groups:
            if source not in SOURCES:
                raise KeyError(f"{tradition}: unknown source {source!r}")
            for spelling in spellings.split("|"):
                form = ascii_fold(spelling).replace(" ", "").replace("-", "")
                if form and (form not in parts or parts[form][0] < share):
                    parts[form] = [round(share, 6), kind, source]
        traditions[tradition] = dict(sorted(parts.items()))
    return {
        "version": "1",
        "what": "share of a naming tradition's people who bear a name part, in any "
        "position; spellings of one name share one figure. [share, kind, source]",
        "kinds": {
            "published": "a share or count of bearers published by the source",
            "rank": "rank in a published list, share = anchor / rank (Zipf); see "
            "bench/build_name_priors.py for each anchor",
            "assumption": "no figure found; an assumption stated in bench/build_name_priors.py",
        },
        "built_by": "bench/build_name_priors.py",
        "sources": SOURCES,
        "traditions": traditions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "matching" / "data" / "name_priors.json")
    args = parser.parse_args()
    table = build()
    args.out.write_text(json.dumps(table, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    n = sum(len(v) for v in table["traditions"].values())
    print(f"{args.out}: {n} spellings over {len(table['traditions'])} traditions")


if __name__ == "__main__":
    main()
