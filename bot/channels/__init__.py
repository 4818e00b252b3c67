"""Channels besides Rasa's built-in REST: WeChat (wechat.py) and the website chat widget (web.py)."""
