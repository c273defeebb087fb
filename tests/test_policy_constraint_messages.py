"""A refused constraint says what is wrong in the user's terms.

Masterminds refuses a constraint with an empty side of ``||`` ("improper constraint"); saying
``improper constraint ''`` names nothing the user wrote, so the message says that an
alternative is empty.
"""

import pytest

from automator.policy.constraint import ConstraintSyntaxError, parse_constraint


@pytest.mark.parametrize("text", ["^1 ||", "^1 || || ^2", "|| ^1", "^1 ||\t", "1.0 - 2.0 ||"])
def test_an_empty_alternative_of_or_is_named_as_such(text):
    with pytest.raises(ConstraintSyntaxError, match=r"an alternative of '\|\|' is empty"):
        parse_constraint(text)
