"""The webhook tables: endpoints, the outbox with its attempts, inbound hooks, their
request log and the replay memory, on SQLite and PostgreSQL."""

from __future__ import annotations

from terminal.persistence import Database
from terminal.persistence.webhook_records import (
    DELIVERED,
    FAILED,
    PENDING,
    AttemptOutcome,
    DeliveryAttempt,
    EndpointRecord,
    HookRecord,
    HookRequest,
    OutboxMessage,
)

from .factories import T0


def endpoint(eid: str = "ep_1") -> EndpointRecord:
    return EndpointRecord(eid, "http://127.0.0.1:9/hook", ("order.*", "fill"), "desk",
                          created_ns=T0, updated_ns=T0)


def message(n: int, eid: str = "ep_1", due: int = T0) -> OutboxMessage:
    return OutboxMessage(f"msg_{n:04d}", eid, "order.filled", f'{{"n":{n}}}', T0 + n,
                         next_attempt_ns=due + n)


def test_endpoints_are_stored_changed_and_removed_with_their_pending_messages(
        db: Database) -> None:
    db.webhooks.add_endpoint(endpoint())
    assert db.webhooks.endpoints() == [endpoint()]
    assert db.webhooks.update_endpoint("ep_1", T0 + 5, enabled=False,
                                       disabled_reason="410 Gone", events=["*"])
    changed = db.webhooks.endpoint("ep_1")
    assert changed is not None and not changed.enabled and changed.events == ("*",)
    assert changed.disabled_reason == "410 Gone" and changed.updated_ns == T0 + 5
    db.webhooks.enqueue([message(1), message(2)])
    db.webhooks.record([AttemptOutcome(DeliveryAttempt("msg_0001", "ep_1", 1, T0, 200, 3.5),
                                       DELIVERED, None)])
    assert db.webhooks.remove_endpoint("ep_1")
    assert db.webhooks.endpoint("ep_1") is None
    assert [m.msg_id for m in db.webhooks.messages()] == ["msg_0001"]  # the log stays


def test_due_messages_attempts_and_redelivery(db: Database) -> None:
    db.webhooks.add_endpoint(endpoint())
    db.webhooks.enqueue([message(n) for n in range(1, 6)])
    assert [m.msg_id for m in db.webhooks.due(T0 + 3, 10)] == ["msg_0001", "msg_0002",
                                                              "msg_0003"]
    assert db.webhooks.next_due_ns() == T0 + 1
    db.webhooks.record([
        AttemptOutcome(DeliveryAttempt("msg_0001", "ep_1", 1, T0 + 10, 200, 2.0,
                                       response_excerpt="ok"), DELIVERED, None),
        AttemptOutcome(DeliveryAttempt("msg_0002", "ep_1", 1, T0 + 10, 500, 4.0,
                                       next_attempt_ns=T0 + 99), PENDING, T0 + 99),
        AttemptOutcome(DeliveryAttempt("msg_0003", "ep_1", 1, T0 + 10, None, 10_000.0,
                                       error="timeout"), FAILED, None)])
    first = db.webhooks.message("msg_0001")
    assert first is not None and first.status == DELIVERED and first.delivered_ns == T0 + 10
    second = db.webhooks.message("msg_0002")
    assert second is not None and second.attempts == 1 and second.next_attempt_ns == T0 + 99
    assert second.last_status_code == 500
    assert [m.msg_id for m in db.webhooks.due(T0 + 50, 10)] == ["msg_0004", "msg_0005"]
    assert db.webhooks.counts() == {DELIVERED: 1, PENDING: 3, FAILED: 1}
    assert db.webhooks.redeliver("msg_0003", T0 + 60)
    again = db.webhooks.message("msg_0003")
    assert again is not None and again.status == PENDING and again.attempts == 0
    log = db.webhooks.attempts(endpoint_id="ep_1")
    assert {(a.msg_id, a.status_code) for a in log} == {
        ("msg_0001", 200), ("msg_0002", 500), ("msg_0003", None)}
    assert db.webhooks.attempts(msg_id="msg_0002")[0].next_attempt_ns == T0 + 99
    assert [m.msg_id for m in db.webhooks.messages(status=FAILED)] == []
    assert not db.webhooks.redeliver("msg_nope", T0)


def test_hooks_their_requests_and_replay_memory(db: Database) -> None:
    hook = HookRecord("hk_1", "tv", "secret", {"kind": "order", "defaults": {"action": "buy"}},
                      created_ns=T0)
    db.hooks.add(hook)
    assert db.hooks.get("hk_1") == hook and db.hooks.all() == [hook]
    assert db.hooks.remember("hk_1", "alert-1", T0)
    assert not db.hooks.remember("hk_1", "alert-1", T0 + 1)  # a replay
    assert db.hooks.remember("hk_1", "alert-2", T0 + 2)
    assert db.hooks.forget_before(T0 + 1) == 1
    assert db.hooks.remember("hk_1", "alert-1", T0 + 3)
    rid = db.hooks.log(HookRequest("hk_1", T0, 202, "accepted", "queued",
                                   client_order_id="wh-1", remote="127.0.0.1"))
    db.hooks.log(HookRequest("hk_1", T0 + 1, 401, "hook-unauthorized", "wrong secret"))
    db.hooks.set_outcome(rid, "order_placed", "filled")
    log = db.hooks.requests("hk_1")
    assert [(r.status_code, r.outcome) for r in log] == [(401, "hook-unauthorized"),
                                                         (202, "order_placed")]
    assert db.hooks.remove("hk_1") and db.hooks.get("hk_1") is None
