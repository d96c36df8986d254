"""The service layer: every business rule and access check lives here, once.

Doors (REST, GraphQL, the bot, MQTT handlers, the CLI) resolve the calling
``Agent`` and call these functions; they never query models themselves.
"""
