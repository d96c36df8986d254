"""The MQTT door: the leader's consumer and the handlers of what units publish.

- ``consumer``: the connection, the batches, the acknowledgement after each commit;
- ``dispatch``: which handler a topic goes to;
- ``handlers``: one module per kind of report (state, log, node value), parsing only;
- ``messages``: what they share (``Rejected``, the consumer's context and counters).

Like REST, GraphQL and the bot it sits above ``pepeunit.services``; the transport it
uses (topic grammar, backend identity) is in ``pepeunit.broker``, below the services.
"""
