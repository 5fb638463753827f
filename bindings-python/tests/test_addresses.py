"""Replays testdata/addresses.json through ``invitekit.parse_addresses``.

Every case is checked and every disagreement reported (case id, field, expected, actual), not
only the first. The file gives ``start``/``end`` as UTF-8 byte offsets; Python's entries give
string indices, so the expected offsets are converted before comparing.
"""

from __future__ import annotations

from typing import Any

import pytest

import invitekit

FIELDS = ("line", "column", "name", "address", "normalized", "key", "smtputf8", "duplicate_of")


def char_index(text: str, byte_offset: int) -> int:
    """The string index of a UTF-8 byte offset into ``text``."""
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8"))


def replay(case: dict[str, Any]) -> list[str]:
    failures: list[str] = []
    case_id = case["id"]
    text = case["input"]

    def check(field: str, expected: Any, actual: Any) -> None:
        if expected != actual:
            failures.append(f"{case_id}: {field}\n    expected: {expected!r}\n    actual:   {actual!r}")

    options = case.get("options", {})
    if "error" in case:
        try:
            invitekit.parse_addresses(text, **options)
        except invitekit.InvitekitError as error:
            check("error", case["error"], error.code)
            check("error class", invitekit.error_class_for(case["error"]), type(error))
        else:
            failures.append(f"{case_id}: expected error {case['error']}, parse succeeded")
        return failures

    parsed = invitekit.parse_addresses(text, **options)
    check("acceptable", case["acceptable"], parsed.acceptable)
    expected_entries = case["entries"]
    check("number of entries", len(expected_entries), len(parsed))
    for index, (expected, entry) in enumerate(zip(expected_entries, parsed)):
        where = f"entries[{index}]"
        check(f"{where}.index", index, entry.index)
        check(f"{where}.raw", expected["raw"], entry.raw)
        check(f"{where}.error", expected["error"], entry.error)
        # Positions are string indices: the entry's text is exactly this slice of the input.
        check(f"{where} text[start:end]", entry.raw, text[entry.start : entry.end])
        if "start" in expected:
            check(f"{where}.start", char_index(text, expected["start"]), entry.start)
        if "end" in expected:
            check(f"{where}.end", char_index(text, expected["end"]), entry.end)
        for field in FIELDS:
            if field in expected:
                check(f"{where}.{field}", expected[field], getattr(entry, field))
        as_dict = entry.to_dict()
        for field in ("raw", "start", "end", "error", *FIELDS):
            check(f"{where}.to_dict()[{field}]", getattr(entry, field), as_dict[field])  # type: ignore[literal-required]
    # The counts agree with the entries.
    errors = [entry.error for entry in parsed]
    check("valid", errors.count(None), parsed.valid)
    check("duplicates", errors.count("duplicate"), parsed.duplicates)
    check("over_limit", errors.count("over_limit"), parsed.over_limit)
    check("invalid", len(errors) - errors.count(None) - errors.count("duplicate") - errors.count("over_limit"), parsed.invalid)
    return failures


def test_every_case_of_addresses_json(addresses_cases: Any) -> None:
    cases = addresses_cases["cases"]
    assert len(cases) >= 300, f"only {len(cases)} cases"
    ids = [case["id"] for case in cases]
    assert len(ids) == len(set(ids)), "case ids are not unique"
    failures = [failure for case in cases for failure in replay(case)]
    assert not failures, f"{len(failures)} failure(s):\n" + "\n".join(failures)


def test_bytes_give_the_same_entries_as_text(addresses_cases: Any) -> None:
    for case in addresses_cases["cases"]:
        if "error" in case:
            continue
        options = case.get("options", {})
        from_text = invitekit.parse_addresses(case["input"], **options).to_dict()
        from_bytes = invitekit.parse_addresses(case["input"].encode("utf-8"), **options).to_dict()
        assert from_text == from_bytes, case["id"]


def test_positions_are_string_indices_beyond_the_basic_plane() -> None:
    text = "😀 Jané <jané@bücher.example>,\u3000用户@例え.jp\n  x@y"
    parsed = invitekit.parse_addresses(text)
    assert [text[e.start : e.end] for e in parsed] == [e.raw for e in parsed]
    assert [e.raw for e in parsed] == ["😀 Jané <jané@bücher.example>", "用户@例え.jp", "x@y"]
    assert parsed[1].normalized == "用户@xn--r8jz45g.jp"
    assert (parsed[2].line, parsed[2].column) == (2, 3)


def test_sequence_protocol() -> None:
    parsed = invitekit.parse_addresses("a@example.com, b@example.com, bad, a@example.com")
    assert len(parsed) == 4
    assert parsed[-1].error == "duplicate" and parsed[-1].duplicate_of == 0
    assert [e.raw for e in parsed[1:3]] == ["b@example.com", "bad"]
    assert [e.raw for e in parsed[::-2]] == ["a@example.com", "b@example.com"]
    assert parsed[0] == parsed[0] and parsed[0] != parsed[1]
    assert [e.index for e in parsed.valid_entries()] == [0, 1]
    assert [e.raw for e in parsed.entries] == [e.raw for e in parsed]
    with pytest.raises(IndexError):
        parsed[4]
    with pytest.raises(IndexError):
        parsed[-5]
    with pytest.raises(TypeError):
        parsed["0"]  # type: ignore[call-overload]
    iterator = iter(parsed)
    assert len(list(iterator)) == 4 and list(iterator) == []
    assert (parsed.valid, parsed.invalid, parsed.duplicates, parsed.over_limit) == (2, 1, 1, 0)
    assert not parsed.acceptable
    assert parsed.to_dict()["entries"][2]["error"] == "not_an_address"
    assert "AddressList 4 entries" in repr(parsed)


def test_options_are_keywords_with_the_cores_defaults() -> None:
    with pytest.raises(TypeError):
        invitekit.parse_addresses("a@example.com", 5)  # type: ignore[call-arg]
    over = invitekit.parse_addresses("a@example.com b@example.com", max_addresses=1)
    assert [e.error for e in over] == [None, "over_limit"]
    assert invitekit.parse_addresses("a@intranet", allow_dotless_domain=True).acceptable
    assert invitekit.DEFAULT_MAX_ADDRESSES == 200
    assert invitekit.DEFAULT_MAX_INPUT_BYTES == 64 * 1024


def test_input_limits() -> None:
    with pytest.raises(invitekit.InvalidInputError) as raised:
        invitekit.parse_addresses("x" * 70_000)
    assert raised.value.code == "input_too_large"
    assert raised.value.details["limit"] == 65536
    # Counted in UTF-8 bytes, as the core does: 30,000 three-byte characters are too many.
    with pytest.raises(invitekit.InvalidInputError):
        invitekit.parse_addresses("用" * 30_000)
    with pytest.raises(invitekit.InvalidInputError) as raised:
        invitekit.parse_addresses(b"a@example.com \xff")
    assert raised.value.code == "invalid_utf8"
    with pytest.raises(TypeError):
        invitekit.parse_addresses(42)  # type: ignore[arg-type]


def test_parse_one() -> None:
    assert invitekit.parse_one(" Jane@Example.COM ") == {"address": "Jane@example.com", "key": "jane@example.com"}
    with pytest.raises(invitekit.InvalidAddressesError) as raised:
        invitekit.parse_one("jane@example")
    assert raised.value.code == "dotless_domain"
    with pytest.raises(invitekit.InvalidAddressesError) as raised:
        invitekit.parse_one("a@example.com b@example.com")
    assert raised.value.code == "unexpected_text"
    assert invitekit.parse_one("jane@example", allow_dotless_domain=True)["key"] == "jane@example"


def test_parsing_releases_the_gil() -> None:
    """While one thread parses a large list, another keeps running Python code."""
    import threading
    import time

    text = "\n".join(f"user{i}@example{i % 97}.com" for i in range(400_000))
    options: dict[str, Any] = {"max_addresses": 1_000_000, "max_input_bytes": 1 << 30}
    started = time.perf_counter()
    expected = invitekit.parse_addresses(text, **options)
    alone = time.perf_counter() - started
    assert expected.valid == 400_000

    results: list[int] = []
    worker = threading.Thread(target=lambda: results.append(len(invitekit.parse_addresses(text, **options))))
    gaps: list[float] = []
    last = time.perf_counter()
    worker.start()
    while worker.is_alive():
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
    worker.join()
    assert results == [400_000]
    # Held for the whole parse, the GIL would stop this loop for about `alone` seconds.
    assert max(gaps) < alone / 2, (max(gaps), alone)
