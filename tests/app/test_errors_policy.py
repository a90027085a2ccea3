"""The error policy of every handler: a user's mistake is shown as it is; a fault of the code
(a failed lookup, a KeyError) is logged with its traceback and shown as the server's error."""

from __future__ import annotations

import gradio as gr
import pytest

from playground.errors import friendly
from playground.locales import t


def test_a_keyerror_is_the_servers_fault_logged_and_not_shown(caplog: pytest.LogCaptureFixture) -> None:
    # the shattering tab once failed with the message "('plain', 110)", shown as the user's mistake
    @friendly
    def streamed():
        yield 1
        raise KeyError(("plain", 110))

    with caplog.at_level("ERROR", logger="resnet_playground"), pytest.raises(gr.Error) as info:
        list(streamed())
    assert info.value.message == t("err_generic", "en") and "plain" not in info.value.message
    assert any("handler streamed failed" in r.getMessage() and r.exc_info for r in caplog.records)


def test_a_users_mistake_is_shown_as_it_is_and_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    @friendly
    def handler():
        raise ValueError("the race runs at depth 20, 32, 44, 56")

    with caplog.at_level("ERROR", logger="resnet_playground"), pytest.raises(gr.Error) as info:
        handler()
    assert info.value.message == "the race runs at depth 20, 32, 44, 56"
    assert not caplog.records
