"""The notification queue, read once and shared: the watcher that consumes it, and the reader that
tells waiting triggers their job has completed.

:class:`NotificationQueueTrigger` is the only consumer of the EventBridge -> SQS queue (the
``harvest_notifications`` asset's watcher). For every batch it records each job completion in the
notification asset's state store (:mod:`live_to_vod.completions`), deletes the messages and yields
the harvest notifications as one asset event (MediaConvert events only wake waiters).

:class:`CompletionIndex` is what a waiting trigger awaits: one per asset per triggerer process,
reading the index every half second while anyone waits (200 waits cost two reads a second, not 400)
and waking each waiter whose job appears. The wake-up is only a hint: the waiter then asks AWS.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from airflow.providers.amazon.aws.hooks.sqs import SqsHook
from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from live_to_vod.completions import INDEX_KEY, Completion, merge_completions, split_batch

__all__ = ["READ_INTERVAL_SECONDS", "CompletionIndex", "NotificationQueueTrigger"]

READ_INTERVAL_SECONDS = 0.5
ERROR_BACKOFF_SECONDS = 10.0
log = logging.getLogger(__name__)


def _state_store(asset_name: str) -> Any:
    from airflow.sdk.execution_time.context import AssetStateStoreAccessor

    return AssetStateStoreAccessor(name=asset_name)


class NotificationQueueTrigger(BaseEventTrigger):
    """Consume the notification queue: record completions, yield harvest notifications.

    Each event is ``{"status": "success", "message_batch": [SQS messages]}``, the shape of the
    amazon provider's SQS trigger, holding only the messages for ``harvest_notifications``
    (:func:`~live_to_vod.completions.split_batch`: not MediaConvert's events, not the successes of
    jobs ``live_event_harvest`` made); a batch of none of them yields nothing. Completions are
    recorded before the messages are deleted, so a triggerer that dies in between redelivers rather
    than loses them.

    :param sqs_queue: the queue URL.
    :param asset_name: the asset whose state store keeps the completion index.
    :param aws_conn_id: the Airflow connection for AWS.
    :param region_name: AWS region; the connection's region when not given.
    :param max_messages: messages per ReceiveMessage (SQS allows at most 10).
    :param num_batches: ReceiveMessage calls per event while messages keep coming.
    :param wait_time_seconds: long-polling wait of an empty ReceiveMessage.
    :param waiter_delay: seconds between empty long polls.
    """

    def __init__(
        self,
        *,
        sqs_queue: str,
        asset_name: str,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        max_messages: int = 10,
        num_batches: int = 5,
        wait_time_seconds: int = 10,
        waiter_delay: int = 1,
    ) -> None:
        super().__init__()
        self.sqs_queue = sqs_queue
        self.asset_name = asset_name
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
        self.max_messages = max_messages
        self.num_batches = num_batches
        self.wait_time_seconds = wait_time_seconds
        self.waiter_delay = waiter_delay

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "sqs_queue": self.sqs_queue,
                "asset_name": self.asset_name,
                "aws_conn_id": self.aws_conn_id,
                "region_name": self.region_name,
                "max_messages": self.max_messages,
                "num_batches": self.num_batches,
                "wait_time_seconds": self.wait_time_seconds,
                "waiter_delay": self.waiter_delay,
            },
        )

    async def _receive(self, client: Any) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        for batch in range(self.num_batches):
            response = await client.receive_message(
                QueueUrl=self.sqs_queue,
                MaxNumberOfMessages=self.max_messages,
                # Long-poll only while the queue is quiet; drain a burst without waiting.
                WaitTimeSeconds=self.wait_time_seconds if batch == 0 else 0,
            )
            received = response.get("Messages", [])
            messages.extend(received)
            if len(received) < self.max_messages:
                break
        return messages

    async def _record(self, completions: list[Completion], now: float) -> None:
        if not completions:
            return
        store = _state_store(self.asset_name)
        index = merge_completions(await store.aget(INDEX_KEY, default={}), completions, now)
        await store.aset(INDEX_KEY, index)
        self.log.info("Recorded %d job completion(s): %s", len(completions), ", ".join(c.key for c in completions))

    async def run(self) -> AsyncIterator[TriggerEvent]:
        hook = SqsHook(aws_conn_id=self.aws_conn_id, region_name=self.region_name)
        self.log.info("Reading notification queue %s", self.sqs_queue)
        while True:
            async with await hook.get_async_conn() as client:
                messages = await self._receive(client)
                if not messages:
                    await asyncio.sleep(self.waiter_delay)
                    continue
                now = time.time()
                completions, harvest = split_batch(messages, now)
                try:
                    await self._record(completions, now)
                except Exception:  # the waits still poll AWS: never lose the notifications over the index
                    self.log.exception("Could not record job completions; the waits will find them by polling")
                for start in range(0, len(messages), 10):
                    entries = [
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(messages[start : start + 10])
                    ]
                    await client.delete_message_batch(QueueUrl=self.sqs_queue, Entries=entries)
            if harvest:
                yield TriggerEvent({"status": "success", "message_batch": harvest})


class CompletionIndex:
    """The completion index of one asset, as this triggerer process sees it.

    Waiters call :meth:`wait`; a single reader task reads the index every
    :data:`READ_INTERVAL_SECONDS` while at least one waits, and stops when none does.
    """

    _by_asset: ClassVar[dict[str, CompletionIndex]] = {}

    def __init__(self, asset_name: str) -> None:
        self.asset_name = asset_name
        self._waiters: dict[str, list[tuple[float, asyncio.Future[tuple[str, float]]]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self.reads = 0

    @classmethod
    def of(cls, asset_name: str) -> CompletionIndex:
        index = cls._by_asset.get(asset_name)
        if index is None:
            index = cls._by_asset[asset_name] = cls(asset_name)
        return index

    async def wait(self, key: str, timeout: float, after: float = 0.0) -> tuple[str, float] | None:
        """``(status, event time)`` once ``key`` completes with an event newer than ``after``; None
        after ``timeout`` seconds without one."""
        future: asyncio.Future[tuple[str, float]] = asyncio.get_running_loop().create_future()
        entry = (after, future)
        self._waiters.setdefault(key, []).append(entry)
        loop = asyncio.get_running_loop()
        if self._reader is None or self._reader.done() or self._reader.get_loop() is not loop:
            self._reader = asyncio.create_task(self._read(), name=f"completion index {self.asset_name}")
        try:
            return await asyncio.wait_for(future, timeout=max(timeout, 0))
        except TimeoutError:
            return None
        finally:
            waiting = self._waiters.get(key, [])
            if entry in waiting:
                waiting.remove(entry)
            if not waiting:
                self._waiters.pop(key, None)

    async def _read(self) -> None:
        store = _state_store(self.asset_name)
        while self._waiters:
            pause = READ_INTERVAL_SECONDS
            try:
                index = await store.aget(INDEX_KEY, default={})
                self.reads += 1
            except Exception as exc:  # the waits still poll AWS: log, back off, keep trying
                index, pause = {}, ERROR_BACKOFF_SECONDS
                log.warning("Could not read the completion index of %s: %s", self.asset_name, exc)
            if isinstance(index, dict):
                for key, waiting in list(self._waiters.items()):
                    value = index.get(key)
                    if not isinstance(value, list) or len(value) != 2 or not isinstance(value[1], (int, float)):
                        continue
                    for after, future in waiting:
                        if value[1] > after and not future.done():
                            future.set_result((str(value[0]), float(value[1])))
            await asyncio.sleep(pause)
