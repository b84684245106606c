"""What a readout is about, cheaply: who took part, what kind of event, on which day.

Two governments' readouts of one call rarely share a sentence, but they name the same people
("Telephone conversation with US President Joseph Biden" / "President Biden's Call with
President Vladimir Putin of Russia"), describe the same kind of event, and fall within a day of
each other — once time zones and "On December 30, …" leads are taken into account.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

import regex

from analysis.dates import instant, utc_instant, utc_text  # noqa: F401 (flagging/ reads them here until it imports analysis.dates)
from analysis.sentences import iter_sentence_spans

# Words that open or sit inside name-like runs without being names: titles, offices, places.
# A title word before a single capitalized word marks it as a name ("President Biden").
TITLES = {
    "President",
    "Presidents",
    "Prime",
    "Minister",
    "Chancellor",
    "King",
    "Queen",
    "Crown",
    "Prince",
    "Princess",
    "Emir",
    "Sultan",
    "Sheikh",
    "Secretary",
    "Spokesperson",
    "Advisor",
    "Adviser",
    "Aide",
    "Head",
    "Chairman",
    "Chairperson",
    "Chair",
    "Director",
    "Deputy",
    "Vice",
    "Ambassador",
    "Senator",
    "Governor",
    "Mayor",
    "Pope",
    "General",
    "Mr",
    "Mrs",
    "Ms",
    "Dr",
    "Premier",
    "Leader",
    "Speaker",
    "Commissioner",
    "Envoy",
    "Counselor",
    "Under",
    "Lady",
}
_NOT_NAMES = TITLES | {
    "State",
    "Press",
    "Federal",
    "Foreign",
    "United",
    "States",
    "Kingdom",
    "Nations",
    "Republic",
    "Security",
    "Council",
    "White",
    "House",
    "Middle",
    "East",
    "Central",
    "Asia",
    "European",
    "Union",
    "Russian",
    "Federation",
    "Readout",
    "Statement",
    "Telephone",
    "Meeting",
    "Call",
    "Calls",
    "Video",
    "The",
    "On",
    "In",
    "At",
    "As",
    "Via",
    "During",
    "Both",
    "His",
    "Her",
    "Majesty",
    "Highness",
    "Office",
    "Department",
    "Ministry",
    "Joint",
    "National",
    "Assembly",
    "Supreme",
    "Government",
    "Senior",
    "Administration",
    "Official",
    "Background",
    "Address",
    "Affairs",
    "Commission",
    "Committee",
    "Presidential",
    "Strategic",
    "Partnership",
    "Defense",
    "Defence",
    "Political",
    "Policy",
    "Armed",
    "Forces",
    "Teleconference",
    "Conference",
    "Summit",
    "Briefing",
    "Jr",
    "Sr",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Kremlin",
    "Moscow",
    "Washington",
    "Ukraine",
    "Ukrainian",
    "Russia",
    "America",
    "American",
    "Syria",
    "Sochi",
    "Vietnam",
    "Astana",
    "Geneva",
    "APEC",
    "NATO",
    "Allies",
    "Olympic",
    "Today",
    "Thanks",
}
_PARTICLES = {"bin", "al", "von", "der", "van", "de", "da", "el", "ibn", "Al", "bint"}
_TOKEN = regex.compile(r"\p{L}[\p{L}'’.-]*|[^\s\p{L}]")
_POSSESSIVE = regex.compile(r"['’]s$")
# "Statement by Press Secretary Jen Psaki on …": the spokesperson took no part in the event.
_SPOKESPERSON = re.compile(r"^(?:Statement|Readout|Remarks)\s+(?:by|from|of)\s+.*?\s+on\s+", re.I)


EVENT_KINDS = {
    "call": re.compile(
        r"\b(telephone|phone|call|calls|spoke|spoken|speaks"
        r"|телефонн\w*|по телефону|созвонил\w*)\b",
        re.I,
    ),
    "video_call": re.compile(
        r"\b(video ?call|videoconference|video conference|secure video"
        r"|видеоконференц\w*|видеосвяз\w*)\b",
        re.I,
    ),
    "meeting": re.compile(
        r"\b(meeting|met|meets|talks|summit|visit|bilateral"
        r"|встреч\w*|встретил\w*|переговор\w*|саммит\w*|визит\w*)\b",
        re.I,
    ),
}
# Announcements of an event to come are not readouts of it.
_ANNOUNCEMENT = re.compile(
    r"\b(upcoming|will hold|will have|will speak|will meet|will talk|to hold|to talk|to meet"
    r"|состоится|состоятся|предстоящ\w*|проведут|проведёт|проведет)\b",
    re.I,
)
# Russian titles decline ("с Президентом Франции"): a title is known by its stem.
_RUSSIAN_TITLE = regex.compile(
    r"(Президент|Премьер|Канцлер|Корол|Принц|Эмир|Султан|Шейх|Председател|Министр|Генсек"
    r"|Генеральн|Секретар|Госсекретар|Вице|Помощник|Посол|Губернатор|Мэр|Папа)\p{L}*(-\p{L}+)?"
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
_ON_DATE = re.compile(
    r"\b[Oo]n\s+(January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\s+(\d{1,2})\b"
)
_RUSSIAN_MONTHS = {
    m: i
    for i, m in enumerate(
        "января февраля марта апреля мая июня июля августа сентября октября ноября декабря".split(),
        start=1,
    )
}
_RUSSIAN_DATE = re.compile(r"(?<!\d)(\d{1,2})\s+(" + "|".join(_RUSSIAN_MONTHS) + r")\b", re.I)


@dataclass(frozen=True)
class EventProfile:
    participants: frozenset[str]  # surnames, as written
    kinds: frozenset[str]
    published: datetime | None  # an aware instant when the page gave an offset
    event_day: date | None  # "On December 30, …" in the lead, else None
    announcement: bool


def surnames(text: str, *, context: str = "") -> set[str]:
    """Surnames of the people named in ``text``.

    A name is a run of capitalized words (initials and particles like "bin" allowed) of two
    words or more, or a single capitalized word right after a title ("President Biden"). The
    surname is the run's last word. A word that ``context`` (the whole readout) also uses in
    lower case is a common noun opening a phrase, not a name.
    """
    found: set[str] = set()
    run: list[str] = []
    after_title = False

    def close() -> None:
        words = [w for w in run if w not in _PARTICLES and not _is_initial(w)]
        if words and (len(run) >= 2 or after_title):
            found.add(words[-1])

    for token in _TOKEN.findall(text):
        if not run and not token[:1].isupper():
            after_title = False  # most tokens: not a name, and no run to close
            continue
        word = token.rstrip(".,")
        possessive = bool(_POSSESSIVE.search(word))
        word = _POSSESSIVE.sub("", word)
        title = word in TITLES or bool(_RUSSIAN_TITLE.fullmatch(word))
        is_name_word = (
            word[:1].isupper()
            and not word.isupper()  # acronyms and "MODERATOR:" labels
            and word not in _NOT_NAMES
            and not title
            and not _used_in_lower_case(word.lower(), context)
        ) or (run and (word in _PARTICLES or _is_initial(word)))
        if is_name_word:
            run.append(word)
            # A name ends at a comma, a possessive or a sentence's full stop (not an initial's).
            if possessive or token.endswith(",") or token.endswith(".") and not _is_initial(word):
                close()
                run, after_title = [], False
            continue
        close()
        after_title = title
        run = []
    close()
    return {name for name in found if len(name) > 2}


_LOWER_WORD = regex.compile(r"\p{Ll}+")


def _used_in_lower_case(word: str, context: str) -> bool:
    """Whether ``context`` has ``word`` as a whole run of lower-case letters not preceded by a
    letter: a search for this one word, not a list of all the context's words (the profile of a
    long readout looks up a handful)."""
    return bool(_LOWER_WORD.fullmatch(word)) and _lower_case_use(word).search(context) is not None


@functools.lru_cache(maxsize=4096)
def _lower_case_use(word: str) -> regex.Pattern:
    return regex.compile(r"(?<!\p{L})" + regex.escape(word) + r"(?!\p{Ll})")


def _is_initial(word: str) -> bool:
    return len(word) <= 2 and word[:1].isupper() and (len(word) == 1 or word.endswith("."))


# Russian case endings of surnames: "Путин", "Путина", "Путиным"; "Зеленский", "Зеленским".
_RUSSIAN_ENDING = regex.compile(r"(ого|ему|ому|ими|ыми|ым|им|ом|ем|ой|ою|ей|ий|ый|у|ю|а|я|е|ы|и)$")


def name_key(surname: str) -> str:
    """Spellings of one name compared equal: "Zelenskyy" / "Zelensky", "Niinistö" / "Niinisto",
    and a Russian surname in any case ("Макрон", "Макроном"; ё read as е)."""
    folded = unicodedata.normalize("NFKD", surname.lower())
    letters = "".join(c for c in folded if c.isalpha())
    if regex.match(r"\p{Cyrillic}", letters):
        stem = _RUSSIAN_ENDING.sub("", letters)
        letters = stem if len(stem) >= 3 else letters
    return regex.sub(r"(.)\1+", r"\1", letters)


def event_kinds(text: str) -> frozenset[str]:
    return frozenset(kind for kind, pattern in EVENT_KINDS.items() if pattern.search(text))


def profile(title: str, text: str, published_at: str | None) -> EventProfile:
    """The profile of a readout from its title, its first sentence and its date.

    Only the title and the first sentence say who met whom; later sentences mention people the
    leaders merely talked about.
    """
    opening = _opening(text or "")
    head = f"{_SPOKESPERSON.sub('', title or '')}. {opening}"
    return EventProfile(
        participants=frozenset(name_key(n) for n in surnames(head, context=text or "")),
        kinds=event_kinds(title) or event_kinds(opening),
        published=instant(published_at),
        event_day=_event_day(opening, instant(published_at)),
        announcement=bool(_ANNOUNCEMENT.search(title or "")),
    )


def _event_day(opening: str, published: datetime | None) -> date | None:
    """The day a lead states ("On December 30, …", "30 декабря …")."""
    if published is None:
        return None
    if match := _ON_DATE.search(opening):
        month, day = _MONTHS[match.group(1).lower()], int(match.group(2))
    elif match := _RUSSIAN_DATE.search(opening):
        month, day = _RUSSIAN_MONTHS[match.group(2).lower()], int(match.group(1))
    else:
        return None
    year = published.year - (1 if month == 12 and published.month == 1 else 0)
    try:
        return date(year, month, day)
    except ValueError:
        return None


def day_of(profile_: EventProfile) -> date | None:
    """The day the event happened, as best known: the lead's date, else the publication day."""
    if profile_.event_day:
        return profile_.event_day
    if profile_.published is None:
        return None
    return profile_.published.date()


def hours_apart(a: EventProfile, b: EventProfile) -> float | None:
    if a.published is None or b.published is None:
        return None
    first, second = a.published, b.published
    if (first.tzinfo is None) != (second.tzinfo is None):
        first, second = first.replace(tzinfo=None), second.replace(tzinfo=None)
    return abs((first - second).total_seconds()) / 3600


@dataclass(frozen=True)
class EventMatch:
    confidence: float
    evidence: dict


MAX_HOURS_APART = 48.0
# Shared participants over all participants named: two delegations meeting different people on
# the same trip share names but not the meeting (Yermak and Kuleba met Sullivan, then Blinken).
MIN_PARTICIPANT_OVERLAP = 0.5


def match_events(a: EventProfile, b: EventProfile) -> EventMatch | None:
    """Whether two readouts from different sources describe the same event, and how surely.

    Hard rules: neither is an announcement, they were published within two days, they name at
    least two common participants and more than half of all the participants either names
    (each side usually names both leaders; a source's own leader is implied, see
    ``with_principals``), and their kinds of event agree. Confidence then grows with
    the same event day (lead dates fix the time-zone trap), compatible kinds of event and
    closeness in time.
    """
    if a.announcement or b.announcement:
        return None
    gap = hours_apart(a, b)
    if gap is None or gap > MAX_HOURS_APART:
        return None
    shared = a.participants & b.participants
    overlap = len(shared) / len(a.participants | b.participants) if shared else 0.0
    if len(shared) < 2 or overlap <= MIN_PARTICIPANT_OVERLAP:
        return None
    kinds = _kinds_agree(a.kinds, b.kinds)
    if kinds < 1:
        return None
    day_a, day_b = day_of(a), day_of(b)
    same_day = day_a is not None and day_a == day_b
    confidence = 0.55
    confidence += 0.2 if same_day else 0
    confidence += 0.1 if gap <= 24 else 0
    confidence += 0.1 * overlap
    evidence = {
        "shared_participants": sorted(shared),
        "participant_overlap": round(overlap, 2),
        "hours_apart": round(gap, 1),
        "event_days": [day_a.isoformat() if day_a else None, day_b.isoformat() if day_b else None],
        "kinds": [sorted(a.kinds), sorted(b.kinds)],
    }
    return EventMatch(round(max(0.0, min(confidence, 0.99)), 2), evidence)


def with_principals(profile_: EventProfile, principals: set[str]) -> EventProfile:
    """The profile with its source's own leader(s) added: a readout rarely names its author."""
    if not principals:
        return profile_
    return EventProfile(
        participants=profile_.participants | frozenset(principals),
        kinds=profile_.kinds,
        published=profile_.published,
        event_day=profile_.event_day,
        announcement=profile_.announcement,
    )


def _kinds_agree(a: frozenset[str], b: frozenset[str]) -> int:
    """1 when the kinds of event agree, 0 when either is unknown, -1 when they contradict.

    A video call is reported as a "call" by one side and a "meeting" by the other (the Kremlin
    titled the 7 Dec 2021 video call "Meeting with US President Joseph Biden").
    """
    if not a or not b:
        return 0
    if a & b or "video_call" in a | b:
        return 1
    return -1


def _opening(text: str) -> str:
    """The first sentence of the first eighty words: where a readout says who met whom."""
    opening = " ".join(text.split(maxsplit=80)[:80])  # not every word of a long transcript
    first = next(iter_sentence_spans(opening, min_words=0), None)
    return opening[: first[1]] if first else opening
