"""The widget's web channel without a running Rasa: server-issued signed sessions, what a reload
shows, idle expiry, metadata passed to the assistant, the texts it serves, and its headers."""

from __future__ import annotations

import time

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels import web


def test_a_session_is_issued_and_signed_by_the_server():
    sessions = web.Sessions("secret-1")
    sender, token = sessions.issue()
    assert sender.startswith("web-") and len(sender) > 20
    assert sessions.sender(token) == sender
    other_sender, _ = sessions.issue()
    assert other_sender != sender


@pytest.mark.parametrize("forged", [
    "web-chosen-by-client",                     # no signature
    "web-chosen-by-client.AAAA",                # wrong signature
    "wechat-openid.xyz",                        # another channel's sender
    "",
    "web-" + "a" * 300 + ".x",
])
def test_a_client_made_or_forged_session_is_refused(forged):
    assert web.Sessions("secret-1").sender(forged) is None


def test_a_token_signed_with_another_key_is_refused():
    _, token = web.Sessions("key-a").issue()
    assert web.Sessions("key-b").sender(token) is None


def _tracker(events):
    tracker = DialogueStateTracker.from_events("web-x", events, slots=Domain.empty().slots)
    return tracker


def test_history_shows_what_the_user_saw_since_the_conversation_began():
    events = [
        UserUttered("旧对话里的话", timestamp=1), BotUttered("旧回答", timestamp=2),
        Restarted(timestamp=3),
        ActionExecuted("action_session_start", timestamp=3), BotUttered("欢迎", timestamp=3),
        SessionStarted(timestamp=3), ActionExecuted("action_listen", timestamp=3),
        UserUttered("/greet", metadata={"hidden": True}, timestamp=4),
        BotUttered("您好", data={"buttons": [{"title": "我要申请", "payload": "/start_application"}]}, timestamp=5),
        UserUttered("/start_application", metadata={"shown": "我要申请"}, timestamp=6),
        BotUttered("请告诉我主体名称", timestamp=7),
    ]
    items = web.history_items(_tracker(events))
    assert items == [
        {"who": "bot", "text": "欢迎"},
        {"who": "bot", "text": "您好", "buttons": [{"title": "我要申请", "payload": "/start_application"}]},
        {"who": "user", "text": "我要申请"},
        {"who": "bot", "text": "请告诉我主体名称"},
    ]


def test_history_after_a_session_start_leaves_the_earlier_session_out():
    events = [UserUttered("上次", timestamp=1), BotUttered("上次的回答", timestamp=1),
              SessionStarted(timestamp=2), UserUttered("这次", timestamp=3)]
    assert [i["text"] for i in web.history_items(_tracker(events))] == ["这次"]


def test_idle_time_counts_from_the_last_message_and_a_restart_ends_it():
    now = time.time()
    assert web.last_activity(_tracker([])) is None
    assert web.last_activity(_tracker([UserUttered("hi", timestamp=now - 60), SlotSet("x", 1)])) == now - 60
    assert web.last_activity(_tracker([UserUttered("hi", timestamp=now - 60), Restarted(timestamp=now)])) is None


def test_only_known_metadata_reaches_the_assistant():
    meta = web.clean_metadata({"elder": True, "shown": "我要申请", "sender": "evil", "hidden": "yes"}, "/start")
    assert meta == {"channel_ui": "web", "elder": True, "shown": "我要申请"}
    assert web.clean_metadata("junk", "x") == {"channel_ui": "web", "elder": False}
    assert "shown" not in web.clean_metadata({"shown": "同一句"}, "同一句")


def test_widget_texts_come_from_the_catalogue_with_the_hotline_filled():
    texts = web.widget_texts()
    assert texts["send"] == "发送" and texts["new_chat"] == "新对话" and texts["human"] == "转人工"
    assert "12345" in texts["error_network"] and "{hotline}" not in texts["error_network"]
    assert "{percent}" in texts["upload_progress"]  # filled by the page
    assert texts["launcher.open"]


def test_privacy_page_names_the_operator_and_escapes_it(monkeypatch):
    monkeypatch.setenv("WIDGET_OPERATOR", "某某<script>alert(1)</script>中心")
    page = web.privacy_page()
    assert "某某&lt;script&gt;" in page and "<script>" not in page
    assert "12345" in page and "隐私说明" in page


def test_pages_forbid_foreign_scripts_and_framing_except_configured_sites(monkeypatch):
    monkeypatch.setenv("WIDGET_EMBED_ORIGINS", "https://www.sczwfw.gov.cn, javascript:alert(1)")
    csp = web.security_headers()["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'self' https://www.sczwfw.gov.cn" in csp and "javascript" not in csp
    assert "connect-src 'self'" in csp


def test_production_refuses_to_start_without_a_session_secret(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("WIDGET_SESSION_SECRET", raising=False)
    with pytest.raises(SystemExit) as err:
        web.WebChatInput.from_credentials(None)
    assert "WIDGET_SESSION_SECRET" in str(err.value)
    monkeypatch.setenv("WIDGET_SESSION_SECRET", "s" * 40)
    assert web.WebChatInput.from_credentials(None).sessions.sender("web-x.y") is None
