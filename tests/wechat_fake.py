"""A fake WeChat API server on 127.0.0.1 (token, template, 订阅通知 and 客服 messages), for the
pushed notice tests. Records every message; `fail[openid] = [errcode, ...]` answers the next sends
to that user with those error codes; `delay` holds each message answer (to kill a sender mid-run).

Like WeChat, each token fetch issues a new access token and only the newest one is accepted
(`rotate=True`, the default): processes that each kept their own token would keep failing with
40001 and fetching again, which `token_fetches` shows.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeWeChat:
    def __init__(self, delay: float = 0.0, rotate: bool = True):
        self.delay = delay
        self.rotate = rotate
        self.messages: list[dict] = []
        self.token_fetches = 0
        self.fail: dict[str, list[int]] = {}
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, data: dict) -> None:
                body = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                url = urlparse(self.path)
                if url.path.endswith("/token"):
                    q = parse_qs(url.query)
                    if q.get("appid") != ["wx-test"] or q.get("secret") != ["wx-secret"]:
                        return self._answer({"errcode": 40013, "errmsg": "invalid appid"})
                    with outer.lock:
                        outer.token_fetches += 1
                        token = outer.token()
                    return self._answer({"access_token": token, "expires_in": 7200})
                self._answer({"errcode": 404, "errmsg": "no such api"})

            def do_POST(self):
                url = urlparse(self.path)
                data = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                with outer.lock:
                    valid = outer.token()
                if parse_qs(url.query).get("access_token") != [valid]:
                    return self._answer({"errcode": 40001, "errmsg": "invalid credential"})
                with outer.lock:
                    codes = outer.fail.get(data.get("touser"), [])
                    code = codes.pop(0) if codes else 0
                    if code == 0:
                        outer.messages.append({"path": url.path, **data})
                if outer.delay:
                    time.sleep(outer.delay)
                self._answer({"errcode": code, "errmsg": "ok" if code == 0 else "failed", "msgid": len(outer.messages)})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def token(self) -> str:
        return f"TOKEN-{self.token_fetches if self.rotate else 1}"

    def to(self, openid: str) -> list[dict]:
        with self.lock:
            return [m for m in self.messages if m.get("touser") == openid]

    def texts(self, openid: str) -> list[str]:
        out = []
        for m in self.to(openid):
            if "text" in m:
                out.append(m["text"]["content"])
            elif m["path"].endswith("/subscribe/bizsend"):
                out.append("｜".join(v["value"] for v in m["data"].values()))
            else:
                out.append(m["data"]["remark"]["value"])
        return out

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
