"""Tokenizer and per-position coding."""

import numpy as np

from annotator.agreement.maths.positions import (
    character_units,
    code_matrix,
    indicator_tensor,
    layer_codes,
    layer_indicators,
    tokenize,
)


def tokens_of(text):
    return [text[s:e] for s, e in tokenize(text)]


def test_tokenizer_words_numbers_and_single_symbols():
    text = "It's a state-run outlet, 3-2 vote; costs $4.5bn… «Quote» 😀 l’état ok_go"
    assert tokens_of(text) == [
        "It's", "a", "state-run", "outlet", ",", "3-2", "vote", ";", "costs", "$", "4", ".", "5bn", "…",
        "«", "Quote", "»", "😀", "l’état", "ok_go",
    ]  # fmt: skip


def test_tokenizer_offsets_are_code_points_and_skip_whitespace():
    text = "😀 ab\n\ncd-"
    bounds = tokenize(text)
    assert bounds.tolist() == [[0, 1], [2, 4], [6, 8], [8, 9]]  # the emoji is one code point
    assert tokenize("   \n").shape == (0, 2)


def test_token_takes_a_label_if_any_character_is_inside_the_span():
    text = "Officials said taxes will rise sharply."
    units = tokenize(text)  # Officials said taxes will rise sharply .
    # 'id taxes wi' touches 'said', 'taxes', 'will'; a whitespace-only span touches nothing.
    codes = layer_codes(units, [(12, 23, 1), (9, 10, 2)])
    assert codes.tolist() == [0, 1, 1, 1, 0, 0, 0]


def test_character_resolution():
    units = character_units(8)
    assert layer_codes(units, [(2, 5, 1), (6, 8, 2)]).tolist() == [0, 0, 1, 1, 1, 0, 2, 2]


def test_winner_rule_is_later_start_then_shorter_then_higher_label_whatever_the_input_order():
    units = character_units(10)
    spans = [(0, 10, 1), (3, 6, 2), (3, 5, 3), (7, 9, 1), (7, 9, 2)]
    expected = [1, 1, 1, 3, 3, 2, 1, 2, 2, 1]
    assert layer_codes(units, spans).tolist() == expected
    assert layer_codes(units, spans[::-1]).tolist() == expected


def test_binary_per_label_coding_keeps_overlaps():
    units = character_units(6)
    indicators = layer_indicators(units, [(0, 4, 1), (2, 6, 2), (5, 6, 1)], 3)
    assert indicators.tolist() == [[1, 1, 1, 1, 0, 1], [0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0]]


def test_matrices_stack_layers_as_coders():
    units = tokenize("a b c d")
    layers = [[(0, 3, 1)], [], [(4, 7, 2)]]
    assert code_matrix(units, layers).tolist() == [[1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 2, 2]]
    tensor = indicator_tensor(units, layers, 2)
    assert tensor.shape == (2, 3, 4)
    np.testing.assert_array_equal(tensor[0], (code_matrix(units, layers) == 1).astype(int))
