"""The masking rule for citizens' numbers: mobile, fixed lines with their area code, local
numbers, country prefixes; what is not a number is left alone."""
from __future__ import annotations

import pytest

from ivr.core.masking import mask_in_text, mask_number


@pytest.mark.parametrize("raw, shown", [
    ("13912345678", "139****5678"),
    ("+8613912345678", "+86139****5678"),
    ("051380009999", "0513****9999"),
    ("01088886666", "010****6666"),
    ("0513-8000 9999", "0513****9999"),
    ("80009999", "****9999"),
    ("12345", "12345"),
    ("anonymous", "anonymous"),
    ("", ""),
])
def test_a_number_keeps_a_prefix_and_its_last_four(raw, shown):
    assert mask_number(raw) == shown


def test_mobile_numbers_inside_text_are_masked_but_not_longer_runs_of_digits():
    text = "caller 13912345678 and +86 13800001111 on 051380000401, order 12345-20200601-000004, 139123456789"
    assert mask_in_text(text) == ("caller 139****5678 and +86138****1111 on 051380000401, "
                                  "order 12345-20200601-000004, 139123456789")
