"""The MQTT infrastructure the services use: topic grammar, publishing, broker set-up.

- ``topics``: the unit protocol's topic grammar, built and parsed in one place;
- ``identity``: the backend's own broker identity (its JWT username and client ids);
- ``publisher``: one lazily connected client per process for commands and Input values;
- ``emqx``: EMQX self-configuration; ``devbroker``: the development broker.

Nothing here imports ``pepeunit.services``: the services sit above this package, the
MQTT door (``pepeunit.mqtt``) above both.
"""
