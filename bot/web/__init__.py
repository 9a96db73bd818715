"""The web: the input channels (`channel.py` for the widget, `socketio.py` for rasa-webchat)
beside the pure logic they use (request checks, origins, rate limits, the widget's files and
crisis lines)."""
