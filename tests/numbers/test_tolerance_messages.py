"""A wrong tolerance amount is named in one short line, however long it is (found by the fuzzing campaign: a
problem file's `significant_figures = 1000…0` of 1,000 digits was quoted in full, an error line of 1,152
characters)."""

from __future__ import annotations

import pytest

import symback
from symback.errors import SymbackError

PROBLEM = """title = "t"
[network]
inputs = 1
[[network.layers]]
weights = "W"
values = [[1]]
activation = "identity"
[loss]
kind = "squared_error"
[tolerance]
{key} = {amount}
"""


@pytest.mark.parametrize("key, amount", [("significant_figures", "1" + "0" * 1000), ("decimal_places", '"' + "7" * 3000 + '"'),
                                         ("relative", "2" * 900)], ids=["figures", "places", "relative"])
def test_a_long_wrong_amount_is_named_in_a_short_line(key, amount):
    with pytest.raises(SymbackError) as error:
        symback.loads(PROBLEM.format(key=key, amount=amount), source="p.toml")
    message = str(error.value)
    assert message.startswith(f"p.toml: tolerance.{key}: expected")
    assert "\n" not in message and len(message) < 200
    assert f"({len(amount)} characters)" in message  # its length said, its text cut


def test_a_short_wrong_amount_is_quoted_whole():
    with pytest.raises(SymbackError, match=r"tolerance.significant_figures: expected a whole number from 1 to 40, got 41$"):
        symback.loads(PROBLEM.format(key="significant_figures", amount="41"))
