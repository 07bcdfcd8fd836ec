"""Times on the pages are Beijing time: instants are kept in UTC and shown as people in China read them."""

from datetime import UTC, datetime

from shebao.web.kit import china_time


def test_an_instant_is_shown_in_beijing_time_to_the_minute():
    assert china_time("2025-03-01T17:30:59+00:00") == "2025-03-02 01:30"
    assert china_time("2025-03-01T17:30:00Z") == "2025-03-02 01:30"
    assert china_time("2025-03-01T17:30:00") == "2025-03-02 01:30"  # naive means UTC, as stored
    assert china_time(datetime(2025, 3, 1, 0, 5, tzinfo=UTC)) == "2025-03-01 08:05"


def test_nothing_shows_nothing():
    assert china_time(None) == "" and china_time("") == ""
