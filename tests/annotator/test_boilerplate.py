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
