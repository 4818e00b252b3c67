"""The action server (rasa-sdk's sanic app) with a guard: `python -m bot.action_server
--actions actions --port 5055` instead of `rasa run actions`.

- listens on ACTIONS_HOST (default 127.0.0.1), never 0.0.0.0 unless configured;
- accepts a call only from the Rasa server: when ACTIONS_SHARED_SECRET is set, every request
  but /health must carry it in the `X-Actions-Secret` header (constant-time comparison);
  without it (development), only loopback peers are served;
- no CORS (browsers have no business here);
- refuses to start under APP_ENV=production without the secret or with a dev token.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import sys

from sanic import response

SECRET_HEADER = "X-Actions-Secret"
log = logging.getLogger("bot.action_server")


def _is_loopback(ip: str | None) -> bool:
    try:
        return ipaddress.ip_address((ip or "").split("%")[0]).is_loopback
    except ValueError:
        return False


def install_guard(app, secret: str | None) -> None:
    """A request middleware: the shared secret, or (no secret configured) a loopback peer."""
    secret = (secret or "").strip()

    @app.middleware("request")
    async def _only_rasa(request):
        if request.path == "/health":
            return None
        if secret:
            given = request.headers.get(SECRET_HEADER, "")
            if hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8")):
                return None
        elif _is_loopback(request.ip):
            return None
        log.warning("security: refused action call from %s to %s", request.ip, request.path)
        return response.json({"error": "forbidden", "message": "只接受对话服务器的调用。"}, status=403)


def main(argv: list[str] | None = None) -> int:
    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
    from rasa_sdk.endpoint import create_app, create_argument_parser
    from rasa_sdk.plugin import plugin_manager

    from bot.security import production

    production.enforce("actions")
    args = create_argument_parser().parse_args(argv)
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file,
                                 args.loglevel, args.logging_config_file)
    utils.update_sanic_log_level()
    from bot.log_privacy import mask_personal_data_in_logs

    mask_personal_data_in_logs()
    app = create_app(args.actions, cors_origins=None, auto_reload=args.auto_reload)
    install_guard(app, os.environ.get("ACTIONS_SHARED_SECRET"))
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    host = os.environ.get("ACTIONS_HOST") or "127.0.0.1"
    log.info("Action endpoint is up and running on http://%s:%s", host, args.port)
    app.run(host, args.port, workers=1, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
