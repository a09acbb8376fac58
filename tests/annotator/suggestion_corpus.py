"""A small corpus of news sentences written for the suggestion tests, by kind, and invented
articles made of them with their true spans. No Django: the classifier's tests read it alone."""

from __future__ import annotations

import random

from annotator.suggestions.classifier import TrainingDocument

CLAIMS = [
    ("The council said the tram extension will cost £48 million.", "NAMED_SOURCE"),
    ("Figures released on Tuesday show unemployment fell to 4.1 percent.", "DATA"),
    ("According to the ministry, 3,200 homes were flooded last winter.", "NAMED_SOURCE"),
    ("The hospital trust confirmed that waiting lists grew by 12 percent.", "NAMED_SOURCE"),
    ("Police said two men were arrested near the station on Friday.", "NAMED_SOURCE"),
    ("The report found that bus fares rose by 9 percent in two years.", "DATA"),
    ("Census data show the city's population grew by 40,000 since 2015.", "DATA"),
    ("The regulator fined the water company £2 million for sewage leaks.", "NAMED_SOURCE"),
    ("Survey results show 61 percent of residents oppose the new road.", "DATA"),
    ("The company reported a loss of £310 million for the year.", "DATA"),
    ("Officials confirmed the bridge will close for repairs in March.", "NAMED_SOURCE"),
    ("The study found that air pollution fell by a fifth after the ban.", "DATA"),
    ("The mayor's office said 800 new homes were approved this year.", "NAMED_SOURCE"),
    ("Records show the contract was signed without a public tender.", "DATA"),
]
OPINIONS = [
    "This is a reckless scheme that voters never asked for.",
    "Frankly, the minister's excuses are an insult to every taxpayer.",
    "We believe the council has lost all sense of proportion.",
    "The plan is a vanity project dressed up as progress.",
    "It is hard to imagine a more shameful betrayal of local families.",
    "Surely nobody seriously thinks this budget is fair.",
    "The government's arrogance on this issue is breathtaking.",
    "This newspaper has long argued that the tram is a costly mistake.",
    "Readers deserve better than this tired, cynical spin.",
    "What a disgraceful way to treat the people who keep the city running.",
    "In our view the decision is both foolish and cruel.",
    "The opposition's silence is frankly embarrassing.",
]
NARRATIVE = [
    "Rain fell steadily over the harbour as the meeting began.",
    "She grew up on a farm outside the town and moved away at eighteen.",
    "The hall was half empty when the first speaker stood up.",
    "Traffic moved slowly along the ring road in the afternoon.",
    "He walked to the podium, adjusted the microphone and smiled.",
    "The old market building has stood on the square for a century.",
    "Children played in the park while their parents queued for coffee.",
    "The session ended shortly after six in the evening.",
    "Volunteers handed out leaflets at the entrance to the library.",
    "The train from the coast arrived a few minutes late.",
]
DISCLAIMER = "The views expressed in this article are the author's own."


def corpus(n_documents: int = 40, *, seed: int = 3, sentences: int = 9) -> list[TrainingDocument]:
    """Articles of `sentences` sentences drawn from the kinds above, with CLAIM spans (with
    their evidence) and OPINION spans where the true sentences are, and the disclaimer at the
    end of every third."""
    rng = random.Random(seed)
    documents = []
    for key in range(n_documents):
        text, spans = "", []
        for _ in range(sentences):
            kind = rng.choice(["claim", "opinion", "narrative", "narrative"])
            start = len(text)
            if kind == "claim":
                sentence, evidence = rng.choice(CLAIMS)
                spans.append((start, start + len(sentence), "CLAIM", {"evidence": evidence}))
            elif kind == "opinion":
                sentence = rng.choice(OPINIONS)
                spans.append((start, start + len(sentence), "OPINION", {}))
            else:
                sentence = rng.choice(NARRATIVE)
            text += sentence + " "
        if key % 3 == 0:
            spans.append((len(text), len(text) + len(DISCLAIMER), "DISCLAIMER", {}))
            text += DISCLAIMER
        documents.append(TrainingDocument(key, text.strip(), spans))
    return documents


NEW_TEXT = f"The hall was quiet. {CLAIMS[1][0]} {OPINIONS[0]} The doors closed at nine."
