"""The channel layer the settings choose: in memory by default, Redis (channels-redis) when REDIS_URL is set.

The dashboard streams from its own watches and does not use the channel layer
yet; these tests check that the layer each deployment gets carries a message
from one process's point of view to another's (two layer instances stand for
two daphne processes). Run on Redis with ``scripts/with-redis``.
"""
from __future__ import annotations

import asyncio
import os

import pytest
from channels.layers import get_channel_layer
from django.conf import settings

redis_only = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set (scripts/with-redis)")


def test_settings_pick_the_backend_from_redis_url() -> None:
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if os.environ.get("REDIS_URL"):
        assert backend == "channels_redis.core.RedisChannelLayer"
        assert settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] == [os.environ["REDIS_URL"]]
    else:
        assert backend == "channels.layers.InMemoryChannelLayer"


def test_a_group_message_round_trips() -> None:
    async def scenario() -> dict:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add("kubeviz-test-revisions", channel)
        await layer.group_send("kubeviz-test-revisions", {"type": "store.changed", "revision": 42, "key": "/pods/a"})
        message = await asyncio.wait_for(layer.receive(channel), 5)
        await layer.group_discard("kubeviz-test-revisions", channel)
        return message

    assert asyncio.run(scenario()) == {"type": "store.changed", "revision": 42, "key": "/pods/a"}


@redis_only
def test_two_processes_share_groups_through_redis() -> None:
    from channels_redis.core import RedisChannelLayer

    async def scenario() -> list[dict]:
        sender = RedisChannelLayer(hosts=[os.environ["REDIS_URL"]])  # e.g. the API server's process
        receivers = [RedisChannelLayer(hosts=[os.environ["REDIS_URL"]]) for _ in range(2)]  # two daphnes
        channels = [await layer.new_channel() for layer in receivers]
        for layer, channel in zip(receivers, channels):
            await layer.group_add("kubeviz-test-dashboard", channel)
        await sender.group_send("kubeviz-test-dashboard", {"type": "store.changed", "revision": 7})
        got = [await asyncio.wait_for(layer.receive(channel), 5) for layer, channel in zip(receivers, channels)]
        for layer, channel in zip(receivers, channels):
            await layer.group_discard("kubeviz-test-dashboard", channel)
        return got

    assert asyncio.run(scenario()) == [{"type": "store.changed", "revision": 7}] * 2
