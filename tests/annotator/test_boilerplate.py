"""Boilerplate sentences: found per source by hashing normalised sentences, where they recur
across enough of its articles, and located in each article for a DISCLAIMER suggestion."""

from annotator.suggestions.boilerplate import boilerplate_in, normalise, sentences, source_boilerplate

FOOTER = "The views expressed here are those of the Kerbside Collective."


def test_normalising_folds_case_spacing_quotes_dashes_and_numbers():
    assert normalise("The  views  are “ours” — 2025.") == normalise('the views are "ours" - 1999.')
    assert normalise("Tram costs rose") != normalise("Tram costs fell")


def test_sentences_are_cut_at_their_ends_with_code_point_offsets():
    text = "🚋 Trams ran late again today. Critics said “enough is enough.” Short one.\nA new line starts here now"
    found = [text[s.start : s.end] for s in sentences(text)]
    assert found == [
        "🚋 Trams ran late again today.",
        "Critics said “enough is enough.”",
        "A new line starts here now",
    ]  # "Short one." is under four words


def test_a_sentence_an_outlet_repeats_is_its_boilerplate_and_chance_repeats_are_not():
    articles = [f"Article {n} says the tram is late. {FOOTER}" for n in range(8)]
    articles += ["Drivers walked out at dawn. Nothing else happened that day."] * 1
    articles += ["The tram is a vanity project, says the union."] * 2  # in two articles only
    found = source_boilerplate(articles, min_articles=3, min_share=0.2)
    # "Article N says the tram is late." differs only in its number: the same sentence.
    assert [(b.text, b.articles) for b in found] == [("Article 0 says the tram is late.", 8), (FOOTER, 8)]
    assert round(found[1].share, 3) == round(8 / 11, 3)
    text = f"Fares rose again this spring. {FOOTER}"
    (where,) = boilerplate_in(text, [found[1].key])
    assert text[where.start : where.end] == FOOTER


def test_a_disclaimer_planted_in_five_of_eight_articles_is_found_there_and_nowhere_else():
    disclaimer = "This site does not give investment advice; do your own research."
    stories = [
        "Shares in the harbour operator rose 4% on Monday. Traders pointed to the new contract.",
        "The ferry company reported a loss for the year. Its chief executive blamed fuel costs.",
        "A new terminal opens in May. The council expects 2,000 passengers a day.",
        "Dock workers voted to accept the pay offer. The union called it a fair settlement.",
        "The port authority raised its fees for cruise ships. Operators said they would pass it on.",
        "Container traffic fell for a third month. Analysts expect a recovery next year.",
        "The tram depot's land was sold to a developer. Neighbours objected to the plans.",
        "A storm closed the harbour for two days. No ships were damaged.",
    ]
    articles = [f"{story} {disclaimer}" if n < 5 else story for n, story in enumerate(stories)]
    (found,) = source_boilerplate(articles)
    assert (found.text, found.articles) == (disclaimer, 5)
    for n, text in enumerate(articles):
        where = boilerplate_in(text, [found.key])
        assert [text[s.start : s.end] for s in where] == ([disclaimer] if n < 5 else [])
