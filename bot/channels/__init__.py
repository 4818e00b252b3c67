"""Channels besides Rasa's built-in REST and socket.io: the website chat widget page."""
