"""The Telegram door (pyTelegramBotAPI).

- ``settings``: mode (webhook or polling), webhook URL and secret, why the bot is off.
- ``client``: the Bot API connection (base URL, proxy, timeouts) and the ``TeleBot``.
- ``handlers``: one module per command group; ``handlers.registry`` registers them in order.
- ``dispatch``: runs one update inside an app context, never raising.
- ``polling`` / ``webhook``: the two forms of the bot's background job;
  ``background.register_telegram_job`` registers it on the runtime (``pepeunit.runtime``),
  which runs the right one in the one process holding the ``telegram`` lease.

Handlers reach data only through ``pepeunit.services``, acting as the agent
``services.telegram.agent_for_chat`` gives for the chat.
"""
