"""The Telegram door (pyTelegramBotAPI).

- ``settings``: mode (webhook or polling), webhook URL and secret, why the bot is off.
- ``client``: the Bot API connection (base URL, proxy, timeouts) and the ``TeleBot``.
- ``handlers``: one module per command group; ``handlers.registry`` registers them in order.
- ``dispatch``: runs one update inside an app context, never raising.
- ``polling`` / ``webhook``: the leader-elected jobs; ``runtime.start_bot_runtime``
  starts the right one in a worker.

Handlers reach data only through ``pepeunit.services``, acting as the agent
``services.telegram.agent_for_chat`` gives for the chat.
"""
