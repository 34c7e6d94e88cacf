"""Streaming export: every matching task, through a format writer, a chunk at a time.

Writers are plain generators that pull tasks from an iterable, while tasks come from
the database asynchronously. The writer therefore runs in a worker thread; when it
needs more tasks, it asks the event loop for the next batch (`anyio.from_thread`).
Memory holds one batch and one chunk, whatever the number of tasks.
"""

from collections import Counter, deque
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread

from app.schemas.task import TaskFilters
from app.services.formats import UNWRITTEN, WRITERS, FileFormat
from app.services.task import TaskService

FETCH_BATCH = 1_000
CHUNK_CHARS = 64 * 1024


class _TaskFeed(Iterator[dict[str, Any]]):
    """A blocking iterator, for the writer's thread, over the loop's async task stream."""

    def __init__(self, tasks: AsyncIterator[dict[str, Any]]) -> None:
        self._tasks = tasks
        self._buffer: deque[dict[str, Any]] = deque()
        self._exhausted = False
        self.count = 0

    async def _fetch(self) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        async for task in self._tasks:
            batch.append(task)
            if len(batch) >= FETCH_BATCH:
                break
        return batch

    def __next__(self) -> dict[str, Any]:
        if not self._buffer and not self._exhausted:
            batch = anyio.from_thread.run(self._fetch)
            self._exhausted = len(batch) < FETCH_BATCH
            self._buffer.extend(batch)
        if not self._buffer:
            raise StopIteration
        self.count += 1
        return self._buffer.popleft()


def _next_chunk(chunks: Iterator[str]) -> str:
    """Join the writer's output up to about `CHUNK_CHARS` ('' at the end)."""
    parts: list[str] = []
    size = 0
    for part in chunks:
        parts.append(part)
        size += len(part)
        if size >= CHUNK_CHARS:
            break
    return "".join(parts)


class TaskExporter:
    """Streams tasks matching filters in one of the export formats."""

    def __init__(self, tasks: TaskService) -> None:
        self.tasks = tasks
        self.exported = 0
        self.left_out: Counter[str] = Counter()
        """For each field the format has no place for, how many exported tasks had one."""

    async def chunks(self, filters: TaskFilters, fmt: FileFormat) -> AsyncIterator[str]:
        """Yield the export file's text, about 64 KiB at a time."""
        feed = _TaskFeed(self._tasks(filters, UNWRITTEN[fmt]))
        writer = WRITERS[fmt](feed)
        while chunk := await anyio.to_thread.run_sync(_next_chunk, writer):
            self.exported = feed.count
            yield chunk
        self.exported = feed.count

    async def _tasks(
        self, filters: TaskFilters, unwritten: tuple[str, ...]
    ) -> AsyncIterator[dict[str, Any]]:
        """The matching tasks in the API's JSON shape, counting values the format drops."""
        async for task in self.tasks.iter_tasks(filters):
            dumped = task.model_dump(mode="json")
            self.left_out.update(name for name in unwritten if dumped[name])
            yield dumped
