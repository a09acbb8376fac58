"""More demo articles, written from sentence templates at load time, so that a demo project is
big enough for every figure to show: `load_demo --size large`. Each outlet keeps its character
(the broadsheet sources its claims, the tabloid hedges and leans on insiders, the partisan blog
opines, the newsletter quotes neighbours), and each annotator's layer marks every sentence the
way its template says, with a few deterministic slips (a missed span, another evidence value, a
label or a stance read differently), so the layers agree mostly but not entirely.

Plain data and the standard library: the result has the shape of demo.json's "articles" and
"layers", and the same loader reads both. Deterministic: the same arguments give the same demo.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

COUNCIL = "Harbour City Council"
TRAM = "Tramline Extension"
MAYOR = "Mayor Ines Okafor"
UNION = "Bus Drivers' Union"
AUTHORITY = "Harbour Transit Authority"


@dataclass(frozen=True)
class Sentence:
    """A sentence template, its label and the attributes an annotator gives it. `stance` maps
    targets to FAVOR / AGAINST / NEUTRAL."""

    text: str
    label: str
    evidence: str | None = None
    voice: str = "AUTHOR"
    hedged: bool = False
    check_worthy: bool = False
    stance: dict[str, str] = field(default_factory=dict)

    def attributes(self) -> dict[str, Any]:
        if self.label == "DISCLAIMER":
            return {}
        attributes: dict[str, Any] = {"voice": self.voice, "hedged": self.hedged}
        if self.evidence is not None:
            attributes["evidence"] = self.evidence
        if self.label == "CLAIM":
            attributes["check_worthy"] = self.check_worthy
        if self.stance:
            attributes["stance"] = [{"target": t, "stance": s} for t, s in self.stance.items()]
        return attributes


@dataclass(frozen=True)
class Outlet:
    titles: list[str]
    authors: list[str]
    sentences: list[Sentence]
    footer: Sentence | None = None


S = Sentence
OUTLETS: dict[str, Outlet] = {
    "harbour-herald": Outlet(
        titles=[
            "Transit authority publishes {month} ridership figures",
            "Council committee questions tram contractor over delays",
            "Bus fares to rise by {pct}% from {month}, authority confirms",
            "Northfield residents split over tram depot plans",
            "Audit finds £{money} million gap in transport reserves",
            "Union and authority return to talks over rosters",
        ],
        authors=["Margaret Lindqvist", "Tomasz Brennan", "Aisha Mensah"],
        sentences=[
            S(
                "Harbour Transit Authority figures show {n} passengers used the number {route} bus on an average weekday in {month}.",
                "CLAIM",
                "DATA",
                check_worthy=True,
                stance={AUTHORITY: "NEUTRAL"},
            ),
            S(
                "The authority's annual report puts the cost of running the bus network at £{money} million a year.",
                "CLAIM",
                "LINK_DOCUMENT",
                check_worthy=True,
            ),
            S(
                "Councillor Ruth Abara, who chairs the transport committee, said the contractor had missed {n2} of its {n3} milestones.",
                "CLAIM",
                "NAMED_SOURCE",
                voice="PARAPHRASED",
                check_worthy=True,
                stance={TRAM: "NEUTRAL"},
            ),
            S(
                "The committee voted {n2}–{n4} to ask for a revised timetable by the end of {month}.",
                "CLAIM",
                "NONE",
                check_worthy=False,
                stance={COUNCIL: "NEUTRAL"},
            ),
            S(
                "According to the business case, journey times between Quayside and Northfield would fall by {pct}%.",
                "CLAIM",
                "LINK_DOCUMENT",
                voice="PARAPHRASED",
                check_worthy=True,
                stance={TRAM: "FAVOR"},
            ),
            S(
                "A spokesperson for the Bus Drivers' Union said members would be balloted on the new rosters next week.",
                "CLAIM",
                "NAMED_SOURCE",
                voice="PARAPHRASED",
                stance={UNION: "NEUTRAL"},
            ),
            S(
                "The audit office found that reserves had fallen by £{money} million since {year}.",
                "CLAIM",
                "LINK_DOCUMENT",
                check_worthy=True,
                stance={COUNCIL: "NEUTRAL"},
            ),
            S(
                "Mayor Ines Okafor told the Herald that the figures were “disappointing but not surprising”.",
                "CLAIM",
                "QUOTE",
                voice="QUOTED",
                stance={MAYOR: "NEUTRAL"},
            ),
            S(
                "Ridership on the Eastern Tramline rose by {pct}% in the year to {month}, the authority's data show.",
                "CLAIM",
                "DATA",
                check_worthy=True,
                stance={TRAM: "NEUTRAL"},
            ),
            S(
                "The extension is expected to open in {year2}, although the contractor has not confirmed a date.",
                "OPINION",
                "NONE",
                hedged=True,
                stance={TRAM: "NEUTRAL"},
            ),
            S(
                "Officials said {n2} new drivers had been recruited since the spring.",
                "CLAIM",
                "ANONYMOUS_SOURCE",
                voice="PARAPHRASED",
                check_worthy=True,
                stance={AUTHORITY: "NEUTRAL"},
            ),
            S(
                "Residents at the meeting were divided on whether the depot should be built at Dock Road.",
                "CLAIM",
                "NONE",
            ),
        ],
    ),
    "daily-klaxon": Outlet(
        titles=[
            "TRAM SHAMBLES: £{money}m more for the council's pet project",
            "Bus chaos AGAIN as {n2} routes axed",
            "Insiders: Okafor's team 'knew about the overspend'",
            "FARE FURY: Commuters hit with {pct}% rise",
            "Secret memo shows depot 'will never be finished'",
            "Drivers' union boss in £{money}k pay row",
        ],
        authors=["Gary Pratt", "Donna Kells"],
        sentences=[
            S(
                "Furious commuters were left stranded for hours as {n2} buses failed to turn up.",
                "CLAIM",
                "NONE",
                check_worthy=True,
                stance={AUTHORITY: "AGAINST"},
            ),
            S(
                "A senior council source told the Klaxon that the overspend could reach £{money} million.",
                "CLAIM",
                "ANONYMOUS_SOURCE",
                voice="PARAPHRASED",
                hedged=True,
                check_worthy=True,
                stance={COUNCIL: "AGAINST"},
            ),
            S("This is nothing short of a scandal.", "OPINION", stance={COUNCIL: "AGAINST"}),
            S(
                "Insiders say the mayor's office was warned about the costs months ago.",
                "CLAIM",
                "ANONYMOUS_SOURCE",
                voice="PARAPHRASED",
                check_worthy=True,
                stance={MAYOR: "AGAINST"},
            ),
            S(
                "The tram is a vanity project that the city simply cannot afford.",
                "OPINION",
                stance={TRAM: "AGAINST"},
            ),
            S(
                "Fares have risen by {pct}% since Okafor took office.",
                "CLAIM",
                "NONE",
                check_worthy=True,
                stance={MAYOR: "AGAINST"},
            ),
            S(
                "It appears the authority may have quietly dropped its own punctuality target.",
                "CLAIM",
                "NONE",
                hedged=True,
                check_worthy=True,
                stance={AUTHORITY: "AGAINST"},
            ),
            S(
                "Taxpayers deserve answers, and they deserve them now.",
                "OPINION",
                stance={COUNCIL: "AGAINST"},
            ),
            S(
                "Council figures obtained by the Klaxon show {n} complaints about late buses in {month}.",
                "CLAIM",
                "DATA",
                check_worthy=True,
                stance={AUTHORITY: "AGAINST"},
            ),
            S(
                "One mum-of-two said she had been late for work {n2} times this month.",
                "CLAIM",
                "ANONYMOUS_SOURCE",
                voice="PARAPHRASED",
            ),
            S(
                "Reportedly, the contractor has already asked for another £{money} million.",
                "CLAIM",
                "NONE",
                hedged=True,
                check_worthy=True,
                stance={TRAM: "AGAINST"},
            ),
            S(
                "The whole sorry saga could drag on for years.",
                "OPINION",
                hedged=True,
                stance={TRAM: "AGAINST"},
            ),
        ],
    ),
    "kerbside-truth": Outlet(
        titles=[
            "The drivers are right, and the council knows it",
            "Why the tram money belongs on the buses",
            "Okafor's rosters are an attack on working people",
            "Another month, another broken promise from Town Hall",
            "Solidarity at the depot: a report from the picket line",
            "Public transport should be run for passengers, not accountants",
        ],
        authors=["Rosa Quinlan", "Kerbside Collective"],
        sentences=[
            S(
                "The new rosters are an insult to every driver who kept this city moving through the winter.",
                "OPINION",
                stance={COUNCIL: "AGAINST", UNION: "FAVOR"},
            ),
            S(
                "Drivers now work split shifts of up to {n2} hours, according to the union's own survey.",
                "CLAIM",
                "DATA",
                voice="PARAPHRASED",
                check_worthy=True,
                stance={UNION: "FAVOR"},
            ),
            S(
                "Town Hall would rather pour money into a tram than pay the people who drive its buses.",
                "OPINION",
                stance={COUNCIL: "AGAINST", TRAM: "AGAINST"},
            ),
            S(
                "The mayor promised a fair deal and has delivered the opposite.",
                "OPINION",
                stance={MAYOR: "AGAINST"},
            ),
            S(
                "“We are not asking for the moon, just for rosters a human being can live with,” said driver Sam Achebe.",
                "CLAIM",
                "QUOTE",
                voice="QUOTED",
                stance={UNION: "FAVOR"},
            ),
            S(
                "The authority spent £{money} million on consultants last year, its accounts show.",
                "CLAIM",
                "LINK_DOCUMENT",
                check_worthy=True,
                stance={AUTHORITY: "AGAINST"},
            ),
            S("Every passenger should stand with the drivers.", "OPINION", stance={UNION: "FAVOR"}),
            S(
                "Bus services in Northfield have been cut by {pct}% since {year}.",
                "CLAIM",
                "NONE",
                check_worthy=True,
                stance={COUNCIL: "AGAINST"},
            ),
            S(
                "The union has offered to talk every day of the dispute.",
                "CLAIM",
                "NONE",
                stance={UNION: "FAVOR"},
            ),
            S(
                "This fight is about the future of public transport in Harbour City.",
                "OPINION",
                stance={UNION: "FAVOR"},
            ),
            S(
                "Management will probably try to blame the drivers for the delays.",
                "OPINION",
                hedged=True,
                stance={AUTHORITY: "AGAINST"},
            ),
            S(
                "A freedom of information request shows {n2} drivers left the service in {month}.",
                "CLAIM",
                "LINK_DOCUMENT",
                check_worthy=True,
                stance={AUTHORITY: "AGAINST"},
            ),
        ],
        footer=S("The views expressed here are those of the Kerbside Collective.", "DISCLAIMER"),
    ),
    "quayside-neighbours": Outlet(
        titles=[
            "Dock Road traders meet the transit authority",
            "What the tram works mean for your street this {month}",
            "Neighbours' forum: your questions on the bus changes",
            "New shelter for the number {route} stop at St Brigid's",
            "Volunteers count the buses on Harbour Street",
            "Café owners ask for loading bays during the works",
        ],
        authors=["Priya Lalwani", "Quayside Neighbours team"],
        sentences=[
            S("Around {n2} neighbours came to the forum at St Brigid's Hall on {day}.", "CLAIM", "NONE"),
            S(
                "Deborah Finch, who runs the Dock Road café, said takings had fallen since the works began.",
                "CLAIM",
                "NAMED_SOURCE",
                voice="PARAPHRASED",
                check_worthy=True,
                stance={TRAM: "AGAINST"},
            ),
            S(
                "The authority's liaison officer, Kwame Osei, said the road would reopen in {month}.",
                "CLAIM",
                "NAMED_SOURCE",
                voice="PARAPHRASED",
                check_worthy=True,
                stance={AUTHORITY: "NEUTRAL"},
            ),
            S(
                "Our volunteers counted {n2} buses on Harbour Street between 7 and 9 in the morning.",
                "CLAIM",
                "DATA",
                check_worthy=True,
            ),
            S(
                "It would help if the authority told residents about closures a week in advance.",
                "OPINION",
                stance={AUTHORITY: "AGAINST"},
            ),
            S(
                "The council has agreed to fund a new shelter at the number {route} stop.",
                "CLAIM",
                "NAMED_SOURCE",
                stance={COUNCIL: "FAVOR"},
            ),
            S("Many older residents rely on the bus to reach the health centre.", "CLAIM", "NONE"),
            S(
                "The tram could bring more visitors to the quayside shops once it opens.",
                "OPINION",
                hedged=True,
                stance={TRAM: "FAVOR"},
            ),
            S(
                "Councillor Ruth Abara will hold a surgery at the library on {day}.",
                "CLAIM",
                "NAMED_SOURCE",
                stance={COUNCIL: "NEUTRAL"},
            ),
            S(
                "The number {route} now runs every {n4} minutes on weekdays, the timetable shows.",
                "CLAIM",
                "LINK_DOCUMENT",
            ),
            S("We think the loading bays are a sensible compromise.", "OPINION", stance={COUNCIL: "FAVOR"}),
            S(
                "Drivers on the picket line said they were sorry for the disruption.",
                "CLAIM",
                "NONE",
                voice="PARAPHRASED",
                stance={UNION: "FAVOR"},
            ),
        ],
        footer=S("This newsletter is written by volunteers and paid for by its readers.", "DISCLAIMER"),
    ),
}
MONTHS = ["January", "February", "March", "April", "May", "June"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Saturday"]


def _fill(template: str, slots: dict[str, str]) -> str:
    return template.format(**slots)


def _slots(rng: random.Random, month: int) -> dict[str, str]:
    return {
        "n": f"{rng.randrange(1_200, 9_800):,}",
        "n2": str(rng.randrange(3, 30)),
        "n3": str(rng.randrange(31, 60)),
        "n4": str(rng.randrange(5, 15)),
        "route": str(rng.choice([4, 7, 9, 12, 21, 33])),
        "money": str(rng.randrange(2, 40)),
        "pct": str(rng.randrange(3, 25)),
        "month": MONTHS[month],
        "day": rng.choice(DAYS),
        "year": str(rng.choice([2019, 2020, 2021, 2022])),
        "year2": str(rng.choice([2027, 2028])),
    }


def _read_by(sentence: Sentence, rng: random.Random) -> tuple[str, dict[str, Any]] | None:
    """How one annotator marks a sentence: as its template says, or with one of the slips
    annotators make. None: the sentence is missed."""
    roll = rng.random()
    label, attributes = sentence.label, sentence.attributes()
    if roll < 0.04:
        return None
    if label == "DISCLAIMER":
        return label, attributes
    if roll < 0.07 and label == "CLAIM":
        attributes["evidence"] = rng.choice(["NONE", "NAMED_SOURCE", "ANONYMOUS_SOURCE", "DATA"])
    elif roll < 0.09:
        label = "OPINION" if label == "CLAIM" else "CLAIM"
        attributes.pop("check_worthy", None)
        if label == "CLAIM":
            attributes.setdefault("evidence", "NONE")
            attributes["check_worthy"] = False
    elif roll < 0.12 and attributes.get("stance"):
        first = attributes["stance"][0]
        turned = {"NEUTRAL": rng.choice(["FAVOR", "AGAINST"])}.get(first["stance"], "NEUTRAL")
        attributes["stance"] = [{**first, "stance": turned}, *attributes["stance"][1:]]
    elif roll < 0.14:
        attributes["hedged"] = not attributes.get("hedged", False)
    return label, attributes


def generated_demo(
    *, annotators: list[str], per_source: int, start: datetime | None = None, seed: int = 2025
) -> tuple[list[dict[str, Any]], dict[str, dict[str, list[dict[str, Any]]]]]:
    """`per_source` articles for each outlet, published over two quarters from `start` (enough
    articles in each for the scorecard's drift), and each annotator's spans on each: (articles,
    layers) in demo.json's shapes."""
    rng = random.Random(seed)
    start = start or datetime(2025, 1, 6, 7, 0, tzinfo=UTC)
    articles = []
    layers: dict[str, dict[str, list[dict[str, Any]]]] = {name: {} for name in annotators}
    for slug, outlet in OUTLETS.items():
        for i in range(per_source):
            external_id = f"demo-{slug}-{i + 1:02d}"
            published = start + timedelta(
                days=(i * 180) // per_source + rng.randrange(0, 5), hours=rng.randrange(0, 12)
            )
            slots = _slots(rng, min(5, (published - start).days // 31))
            chosen = rng.sample(outlet.sentences, k=min(len(outlet.sentences), rng.randrange(8, 11)))
            sentences = [(s, _fill(s.text, slots)) for s in chosen]
            if outlet.footer is not None:
                sentences.append((outlet.footer, outlet.footer.text))
            paragraphs = [
                " ".join(text for _, text in sentences[j : j + 3]) for j in range(0, len(sentences), 3)
            ]
            text = "\n\n".join(paragraphs)
            articles.append(
                {
                    "external_id": external_id,
                    "source": slug,
                    "title": _fill(outlet.titles[i % len(outlet.titles)], slots),
                    "author": outlet.authors[i % len(outlet.authors)],
                    "published_at": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "url": f"https://{slug.replace('-', '')}.example/{published:%Y/%m/%d}/{external_id}",
                    "text": text,
                }
            )
            for name in annotators:
                reader = random.Random(f"{seed}/{name}/{external_id}")
                spans = []
                for sentence, quote in sentences:
                    read = _read_by(sentence, reader)
                    if read is None:
                        continue
                    label, attributes = read
                    spans.append(
                        {
                            "quote": quote,
                            "occurrence": text[: text.index(quote)].count(quote) + 1,
                            "label": label,
                            "attributes": attributes,
                        }
                    )
                layers[name][external_id] = spans
    return articles, layers


# The demo's article questions: an ordinal rating, an interval scale, a choice and a yes/no,
# so every kind's agreement and every scorecard figure has data.
QUESTIONS: list[dict[str, Any]] = [
    {
        "key": "reliability",
        "name": "How reliable is this article as a source of facts?",
        "kind": "ordinal",
        "description": "Judge the reporting, not whether you agree with it.",
        "points": [
            {"value": 1, "label": "Unreliable"},
            {"value": 2, "label": "Often wrong or unsupported"},
            {"value": 3, "label": "Mixed"},
            {"value": 4, "label": "Mostly reliable"},
            {"value": 5, "label": "Reliable"},
        ],
        "required": False,
    },
    {
        "key": "lean",
        "name": "Which way does the article lean on the council's transport plans?",
        "kind": "interval",
        "description": "−3: strongly against the council; 0: even-handed; +3: strongly for it.",
        "points": [
            {"value": -3, "label": "Strongly against"},
            {"value": 0, "label": "Even-handed"},
            {"value": 3, "label": "Strongly for"},
        ],
        "required": False,
    },
    {
        "key": "genre",
        "name": "What kind of piece is it?",
        "kind": "choice",
        "description": "",
        "points": [
            {"value": "NEWS", "label": "News report"},
            {"value": "ANALYSIS", "label": "Analysis"},
            {"value": "OPINION", "label": "Opinion"},
            {"value": "COMMUNITY", "label": "Community notice"},
        ],
        "required": False,
    },
    {
        "key": "labelled_opinion",
        "name": "Does the outlet label the piece as opinion?",
        "kind": "boolean",
        "description": "",
        "points": [],
        "required": False,
    },
]
# Each outlet's usual answers: reliability, lean, genre, labelled as opinion.
_OUTLET_ANSWERS = {
    "harbour-herald": (4, 0, "NEWS", False),
    "daily-klaxon": (2, -2, "NEWS", False),
    "kerbside-truth": (3, -3, "OPINION", True),
    "quayside-neighbours": (4, 1, "COMMUNITY", False),
}


def answers_for(*, source: str, external_id: str, annotator: str) -> dict[str, Any]:
    """One annotator's answers to QUESTIONS for one article: its outlet's usual answers, each
    read a step differently now and then, as raters do."""
    rng = random.Random(f"answers/{annotator}/{external_id}")
    reliability, lean, genre, labelled = _OUTLET_ANSWERS[source]
    if rng.random() < 0.3:
        reliability = min(5, max(1, reliability + rng.choice([-1, 1])))
    if rng.random() < 0.35:
        lean = min(3, max(-3, lean + rng.choice([-1, 1])))
    if rng.random() < 0.15:
        genre = rng.choice(["ANALYSIS", "OPINION", "NEWS"])
    return {"reliability": reliability, "lean": lean, "genre": genre, "labelled_opinion": labelled}
