"""Counts read from the environment: the chunk size and the number of concurrent dossier-API pulls."""

import pytest

from flows.settings import Settings


def test_counts_default_when_unset():
    settings = Settings.from_env({})
    assert (settings.chunk_units, settings.api_threads) == (200, 8)


@pytest.mark.parametrize("name, field", [("THIDUA_CHUNK_UNITS", "chunk_units"),
                                         ("THIDUA_API_THREADS", "api_threads")])
def test_a_whole_number_is_taken(name, field):
    assert getattr(Settings.from_env({name: " 3 "}), field) == 3


@pytest.mark.parametrize("name", ["THIDUA_CHUNK_UNITS", "THIDUA_API_THREADS"])
@pytest.mark.parametrize("text", ["0", "-2", "2.5", "bốn"])
def test_a_bad_count_is_refused_in_one_sentence_naming_the_setting(name, text):
    with pytest.raises(ValueError) as info:
        Settings.from_env({name: text})
    message = str(info.value)
    assert message.startswith(f"{name}={text!r} is not a valid ")
    assert "at least 1" in message and "\n" not in message
