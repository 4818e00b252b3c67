"""Start the Rasa server safely: `python -m bot.rasa_server --model models --endpoints
endpoints.yml --credentials credentials.yml` (other `rasa run` options pass through).

- listens on RASA_HOST (default 127.0.0.1);
- the HTTP API (trackers, model, events) is off unless RASA_API_TOKEN or RASA_JWT_SECRET is
  set, and then needs that credential (`?token=` or `Authorization: Bearer <jwt>`); the
  channels under /webhooks/* are always there;
- CORS only for WIDGET_ALLOWED_ORIGINS (comma- or space-separated), never `*`;
- under APP_ENV=production, refuses to start on development settings (bot/security/production.py);
- Rasa runs in this process (not exec'd) after the startup patches of bot/rasa_patches.py
  (rasa==3.6.21 only; another version runs unpatched with a warning), and with
  bot/rasa_form_pause.py (a form handed to a help-desk agent asks no further question).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path


def rasa_args(env, extra: list[str]) -> list[str]:
    args = ["run", "-i", env.get("RASA_HOST") or "127.0.0.1"]
    if env.get("RASA_PORT") and "--port" not in extra and "-p" not in extra:
        args += ["--port", env["RASA_PORT"]]
    token, jwt = (env.get("RASA_API_TOKEN") or "").strip(), (env.get("RASA_JWT_SECRET") or "").strip()
    if token or jwt:
        args.append("--enable-api")
        if token:
            args.append(f"--auth-token={token}")  # a token may start with "-"
        if jwt:
            args += [f"--jwt-secret={jwt}", "--jwt-method", env.get("RASA_JWT_METHOD") or "HS256"]
    origins = [o for o in re.split(r"[\s,]+", env.get("WIDGET_ALLOWED_ORIGINS") or "") if o and o != "*"]
    if origins:
        args += ["--cors", *origins]
    return args + extra


def main(argv: list[str] | None = None) -> int:
    from bot.security import production

    production.enforce("rasa")
    extra = list(sys.argv[1:] if argv is None else argv)
    if "--enable-api" in extra or "--cors" in extra:
        print("bot.rasa_server: --enable-api/--cors come from RASA_API_TOKEN and WIDGET_ALLOWED_ORIGINS; "
              "不要直接传入。", file=sys.stderr)
        return 2
    from bot import rasa_form_pause, rasa_patches

    rasa_patches.apply()
    rasa_form_pause.install()
    import rasa.__main__

    sys.argv = [str(Path(sys.executable).parent / "rasa"), *rasa_args(os.environ, extra)]
    rasa.__main__.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
