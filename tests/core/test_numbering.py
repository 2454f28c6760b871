"""Work-order numbers: 12345-YYYYMMDD-NNNNNN on the centre's local date."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from ivr.core.numbering import (TicketNumber, day_prefix, format_number, is_number, local_day, next_number,
                                parse_number)
from support import CST


@pytest.mark.parametrize("day, seq, text", [
    (date(2020, 6, 1), 1, "12345-20200601-000001"),
    (date(2020, 12, 31), 42, "12345-20201231-000042"),
    (date(2020, 9, 9), 999_999, "12345-20200909-999999"),
])
def test_format_and_parse_round_trip(day, seq, text):
    assert format_number(day, seq) == text
    assert parse_number(text) == TicketNumber(day, seq)
    assert str(parse_number(text)) == text
    assert text.startswith(day_prefix(day))


@pytest.mark.parametrize("seq", [0, -1, 1_000_000])
def test_sequence_bounds(seq):
    with pytest.raises(ValueError, match="outside 1..999999"):
        format_number(date(2020, 6, 1), seq)


@pytest.mark.parametrize("text", ["", "12345", "12345-2020061-000001", "12345-20200601-00001",
                                  "12345-20200601-0000001", "12346-20200601-000001", "12345-20201301-000001",
                                  "12345-20200230-000001", "12345-20200601-000000", "12345-20200601-00000a",
                                  "12345_20200601_000001", "x12345-20200601-000001", "12345-20200601-000001\n1",
                                  "１２３４５-20200601-000001", "12345-２０２００６０１-000001",
                                  "12345-20200601-０００００１"])
def test_malformed_numbers(text):
    assert not is_number(text)
    with pytest.raises(ValueError):
        parse_number(text)


def test_surrounding_space_is_forgiven():
    assert is_number(" 12345-20200601-000001 ")


def test_the_date_is_the_centres_local_date():
    late_utc = datetime(2020, 5, 31, 23, 30, tzinfo=timezone.utc)  # 07:30 on 1 June in Rudong
    assert local_day(late_utc, CST) == date(2020, 6, 1)
    assert next_number(late_utc, CST, 0) == "12345-20200601-000001"
    assert next_number(late_utc, CST, 41) == "12345-20200601-000042"


def test_naive_time_is_refused():
    with pytest.raises(ValueError, match="aware"):
        local_day(datetime(2020, 6, 1, 10), CST)


def test_numbers_sort_in_order_of_intake():
    numbers = [format_number(date(2020, 6, d), s) for d in (1, 2) for s in (1, 2, 10, 100)]
    assert sorted(numbers) == numbers
