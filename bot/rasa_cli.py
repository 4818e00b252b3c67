"""Rasa's own command line with this project's startup patches (bot/rasa_patches.py) applied:
`python -m bot.rasa_cli test core …`, `python -m bot.rasa_cli shell …`. Used by the Makefile
wherever Rasa loads a trained model, so that the model loads as fast as in `bot.rasa_server`.
Training (`rasa train`) needs no patch and runs Rasa directly."""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from bot import rasa_form_pause, rasa_patches

    rasa_patches.apply()
    rasa_form_pause.install()  # rasa shell/test behave as the server does
    import rasa.__main__

    sys.argv = [str(Path(sys.executable).parent / "rasa"), *(sys.argv[1:] if argv is None else argv)]
    rasa.__main__.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
