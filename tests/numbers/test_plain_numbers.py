"""The plain-number shortcut (symback.numbers.plain.plain_number) against the route it bypasses: the expression
parser, which reads the same texts with all its checks. Where the shortcut answers, both give the same exact
value; where the text is not plain or too long for it, it answers None and the parser keeps its messages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symback.errors import ParseError
from symback.numbers.parse import CONSTANTS, Parser, parse_number
from symback.numbers.plain import plain_number

DIGITS = st.text("0123456789", min_size=1, max_size=45)
EXPONENT = st.one_of(st.just(""), st.builds(lambda e, sign, n: f"{e}{sign}{n}", st.sampled_from("eE"),
                                            st.sampled_from(["", "+", "-"]), st.text("0123456789", min_size=1, max_size=6)))
LITERAL = st.one_of(
    st.builds(lambda whole, exponent: whole + exponent, DIGITS, EXPONENT),
    st.builds(lambda whole, fraction, exponent: f"{whole}.{fraction}{exponent}", DIGITS,
              st.text("0123456789", max_size=45), EXPONENT),
    st.builds(lambda fraction, exponent: f".{fraction}{exponent}", DIGITS, EXPONENT),
)
SIGN = st.sampled_from(["", "-", "+", "\u2212", "- ", " -"])
SPACE = st.sampled_from(["", " ", "  "])
PLAIN = st.one_of(
    st.builds(lambda a, s, x, b: f"{a}{s}{x}{b}", SPACE, SIGN, LITERAL, SPACE),
    st.builds(lambda s, x, sp, t, y: f"{s}{x}{sp}/{sp}{t}{y}", SIGN, LITERAL, SPACE, SIGN, LITERAL),
)


def _by_parser(text: str):
    try:
        return Parser(text, CONSTANTS).parse()
    except ParseError as error:
        return error


@given(PLAIN)
def test_the_shortcut_gives_the_parsers_value_or_leaves_the_text_to_it(text):
    reference = _by_parser(text)
    shortcut = plain_number(text)
    if shortcut is not None:
        assert not isinstance(reference, ParseError), text
        assert shortcut == reference and type(shortcut) is type(reference)
    try:
        assert parse_number(text) == reference
    except ParseError as error:  # the same refusal, in the same words, as the parser gives
        assert isinstance(reference, ParseError) and str(error) == str(reference)


@pytest.mark.parametrize("text", ["2^3", "1/2/3", "--3", "3/0", "1e99999", "pi", "(1)", "1 2", "1,5", "", " "])
def test_texts_that_are_not_plain_or_not_cheap_are_left_to_the_parser(text):
    assert plain_number(text) is None


@pytest.mark.parametrize(("text", "message"), [
    ("3/0", "division by zero"), ("1e99999", "exponent is too large"), ("1" * 1002, "more than 1000 digits"),
])
def test_refusals_keep_the_parsers_words(text, message):
    with pytest.raises(ParseError, match=message):
        parse_number(text)
