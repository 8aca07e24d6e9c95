"""Posting to a real HTTP receiver on loopback: delivered, retried after a failure, and never a word of the
address in what is reported."""

from __future__ import annotations

from monitoring.receiver import SECRET, Receiver

from sacnn_dagster.monitoring.webhook import post_text


def test_a_message_is_posted_as_json_text():
    with Receiver() as hook:
        delivery = post_text(hook.url, "[sacnn r] hello")
    assert delivery.delivered and delivery.tries == 1 and hook.texts == ["[sacnn r] hello"]


def test_a_failing_webhook_is_retried_and_then_reported_without_its_address():
    pauses = []
    with Receiver() as hook:
        hook.fail_next(1)
        assert post_text(hook.url, "once", sleep=pauses.append).tries == 2
        hook.fail_next(5)
        delivery = post_text(hook.url, "lost", sleep=pauses.append)
    assert hook.texts == ["once"] and hook.failed == ["once", "lost", "lost", "lost"]
    assert not delivery.delivered and delivery.tries == 3 and delivery.problem == "HTTP 500"
    assert pauses == [1.0, 1.0, 3.0]


def test_an_unreachable_webhook_names_no_address():
    url = f"http://127.0.0.1:9/{SECRET}"  # the discard port: nothing listens
    delivery = post_text(url, "x", pauses_s=(), timeout_s=2)
    assert not delivery.delivered and SECRET not in delivery.problem and "127.0.0.1" not in delivery.problem
