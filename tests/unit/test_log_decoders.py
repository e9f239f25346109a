"""The two log decoders and their resume points: whatever the chunking and wherever a stream is cut
and followed again, the spool gets every line exactly once."""

from __future__ import annotations

import random

import pytest

from cosmos_tui.engine.runtime import ByteLines, DockerLines, Position, ts_key
from tests.unit.conftest import log_bytes

LOG = log_bytes("transfer_two_clips.log")
# Lines as docker and the spool see them: split at "\n" only (tqdm's "\r" updates stay inside).
LINES = [line + b"\n" for line in LOG.split(b"\n")[:-1]]


def stamped(lines: list[bytes], per_stamp: int = 3) -> list[tuple[str, bytes]]:
    """What `docker logs --timestamps` prints: RFC 3339 nanosecond stamps, several lines sharing one
    (a burst within a nanosecond tick does happen), with docker's trailing zeros trimmed."""
    out = []
    for index, line in enumerate(lines):
        tick = index // per_stamp
        frac = f"{tick * 10_000:09d}".rstrip("0")  # .00001, .00002, ... and a bare second at 0
        stamp = f"2026-11-22T05:43:14{'.' + frac if frac else ''}Z"
        out.append((stamp, line))
    return out


def docker_output(entries: list[tuple[str, bytes]], since: str | None = None) -> bytes:
    """The stream `docker logs --timestamps [--since T]` sends: --since keeps lines at T itself."""
    return b"".join(
        f"{stamp} ".encode() + line
        for stamp, line in entries
        if since is None or ts_key(stamp) >= ts_key(since)
    )


def chunks(data: bytes, rng: random.Random) -> list[bytes]:
    out, at = [], 0
    while at < len(data):
        size = rng.choice((1, 2, 7, 64, 4096))
        out.append(data[at : at + size])
        at += size
    return out


def feed_all(decoder: DockerLines | ByteLines, parts: list[bytes]) -> list[bytes]:
    out: list[bytes] = []
    for part in parts:
        out += decoder.feed(part)
    return out


# -- docker ------------------------------------------------------------------------------------------


def test_ts_key_pads_trimmed_nanoseconds_so_stamps_compare_as_text() -> None:
    assert ts_key("2026-11-22T05:43:14.1Z") == "2026-11-22T05:43:14.100000000Z"
    assert ts_key("2026-11-22T05:43:14Z") == "2026-11-22T05:43:14.000000000Z"
    assert ts_key("2026-11-22T05:43:14.000000009Z") > ts_key("2026-11-22T05:43:14Z")
    assert ts_key("2026-11-22T05:43:14.1Z") > ts_key("2026-11-22T05:43:14.05Z")  # "1" < "05" as text
    assert ts_key(None) == "" and ts_key("") == ""


def test_docker_lines_drop_the_stamp_and_keep_a_partial_line_for_later() -> None:
    position = Position()
    decoder = DockerLines(position)
    assert decoder.feed(b"2026-11-22T05:43:14.5Z hello\n2026-11-22T05:43:14.5Z wor") == [b"hello\n"]
    assert decoder.feed(b"ld\n2026-11-22T05:43:15Z \n") == [b"world\n", b"\n"]
    assert (position.since, position.same, position.size) == ("2026-11-22T05:43:15Z", 1, 13)


def test_docker_lines_count_every_line_that_shares_the_last_stamp_across_reads() -> None:
    position = Position()
    decoder = DockerLines(position)
    decoder.feed(b"2026-11-22T05:43:14.5Z a\n2026-11-22T05:43:14.5Z b\n")
    decoder.feed(b"2026-11-22T05:43:14.5Z c\n")
    assert (position.since, position.same) == ("2026-11-22T05:43:14.5Z", 3)
    decoder.feed(b"2026-11-22T05:43:14.5Z d\n2026-11-22T05:43:14.6Z e\n")
    assert (position.since, position.same) == ("2026-11-22T05:43:14.6Z", 1)


@pytest.mark.parametrize("seed", range(5))
def test_docker_lines_give_the_log_whole_however_it_is_chunked(seed: int) -> None:
    position = Position()
    out = feed_all(DockerLines(position), chunks(docker_output(stamped(LINES)), random.Random(seed)))
    assert b"".join(out) == LOG
    assert position.size == len(LOG)


@pytest.mark.parametrize("per_stamp", [1, 3, 50])
def test_docker_resume_after_any_line_loses_and_repeats_nothing(per_stamp: int) -> None:
    """Follow, stop after N lines, save the position as the database would, follow again --since."""
    entries = stamped(LINES, per_stamp)
    for cut in range(1, len(entries)):
        position = Position()
        first = DockerLines(position).feed(docker_output(entries[:cut]))
        saved = Position.loads(position.dumps())
        rest = DockerLines(saved).feed(docker_output(entries, since=saved.since))
        assert b"".join(first + rest) == LOG, f"cut after line {cut}"
        assert saved.size == len(LOG)


def test_docker_resume_whose_first_read_is_all_seen_lines_waits_for_new_ones() -> None:
    entries = stamped(LINES, per_stamp=4)
    position = Position()
    DockerLines(position).feed(docker_output(entries[:6]))
    resumed = DockerLines(Position.loads(position.dumps()))
    replay = docker_output(entries[4:6])  # --since sends the two lines at the last stamp again
    assert resumed.feed(replay) == []
    assert resumed.feed(docker_output(entries[6:7])) == [LINES[6]]


def test_position_round_trips_and_an_empty_one_starts_at_the_beginning() -> None:
    position = Position(1234, "2026-11-22T05:43:14.5Z", 2)
    assert Position.loads(position.dumps()) == position
    assert Position.loads(None) == Position() == Position.loads("")
    assert Position.loads('{"size": 7}') == Position(7, None, 0)


# -- process (byte offsets) --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_byte_lines_give_the_log_whole_however_it_is_chunked(seed: int) -> None:
    position = Position()
    decoder = ByteLines(position)
    out = feed_all(decoder, chunks(LOG, random.Random(seed)))
    assert b"".join(out) == LOG
    assert position.size == len(LOG) and decoder.flush() == []


def test_byte_lines_hold_a_partial_line_until_its_newline_or_the_end() -> None:
    position = Position()
    decoder = ByteLines(position)
    assert decoder.feed(b"one\ntw") == [b"one\n"]
    assert position.size == 4  # the resume offset never points inside a line
    assert decoder.feed(b"o") == []
    assert decoder.flush() == [b"two"]  # the model ended without a final newline
    assert position.size == 7


def test_byte_resume_from_the_saved_offset_loses_and_repeats_nothing() -> None:
    for cut in range(0, len(LOG), 97):
        position = Position()
        first = ByteLines(position).feed(LOG[:cut])
        saved = Position.loads(position.dumps())
        resumed = ByteLines(saved)
        rest = resumed.feed(LOG[saved.size :]) + resumed.flush()  # follow_command starts at the offset
        assert b"".join(first + rest) == LOG, f"cut at byte {cut}"
        assert saved.size == len(LOG)
