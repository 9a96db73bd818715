"""The clinic's web chat: request checks, rate limits, origins and the widget's files.

Pure logic only; `bot.channels.web` is the thin Sanic adapter that uses it.
"""
