"""A local MQTT broker for development: amqtt with a plugin that asks our hook like EMQX does.

``flask devbroker`` runs it. Every CONNECT, PUBLISH and SUBSCRIBE is decided by
``POST {hook}`` with the JSON body our EMQX http source sends
(``{"token": <username>, "topic": ..., "action": ..., "clientid": ...}``) and the same
answer (``{"result": "allow" | "deny"}``; 204 also allows). A CONNECT is asked with
``action: "connect"`` and an empty topic. Anything but an allow is a deny, as with
EMQX's ``no_match: deny``: a denied CONNECT is refused, a denied PUBLISH dropped, a
denied SUBSCRIBE answered with a failure code. Deliveries to subscribers are not
re-checked (EMQX does not check them either).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import aiohttp
from amqtt.broker import Broker
from amqtt.contexts import Action
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin

log = logging.getLogger(__name__)


class HookPlugin(BaseAuthPlugin, BaseTopicPlugin):
    @dataclass
    class Config:
        url: str = "http://127.0.0.1:5000/pepeunit/api/v1/units/auth"
        timeout: float = 10.0

    def __init__(self, context) -> None:
        super().__init__(context)
        self._http: aiohttp.ClientSession | None = None

    async def _ask(self, username: str | None, topic: str, action: str, clientid: str | None) -> bool:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.config.timeout))
        body = {"token": username or "", "topic": topic, "action": action, "clientid": clientid or ""}
        try:
            async with self._http.post(self.config.url, json=body) as response:
                if response.status == 204:
                    return True
                if response.status != 200:
                    return False
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            log.warning("auth hook %s unreachable (%s): deny", self.config.url, exc)
            return False
        allowed = isinstance(answer, dict) and answer.get("result") == "allow"
        if not allowed:
            log.info("deny %s %r for client %s", action, topic, clientid)
        return allowed

    async def authenticate(self, *, session) -> bool:
        return await self._ask(session.username, "", "connect", session.client_id)

    async def topic_filtering(self, *, session=None, topic=None, action=None) -> bool:
        if action == Action.RECEIVE:
            return True
        if session is None or topic is None or action not in (Action.PUBLISH, Action.SUBSCRIBE):
            return False
        return await self._ask(session.username, topic, action.value, session.client_id)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None


def broker_config(bind: str, hook_url: str) -> dict:
    return {
        "listeners": {"default": {"type": "tcp", "bind": bind}},
        "plugins": {f"{__name__}.HookPlugin": {"url": hook_url}},
    }


async def serve(bind: str, hook_url: str, ready: asyncio.Event | None = None,
                stop: asyncio.Event | None = None) -> None:
    broker = Broker(broker_config(bind, hook_url))
    await broker.start()
    log.info("dev broker on %s, authorization by %s", bind, hook_url)
    if ready is not None:
        ready.set()
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        await broker.shutdown()


def run(bind: str, hook_url: str) -> None:
    try:
        asyncio.run(serve(bind, hook_url))
    except KeyboardInterrupt:
        pass
