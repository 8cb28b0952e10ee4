"""Running a service's loop under a Faust worker: lifecycle, signals and logging come from Faust.

The hot loops themselves are batched aiokafka loops (see `batch_stream`); the worker runs one
as a task and cancels it on SIGTERM/SIGINT, which stops it between batches.
"""

from collections.abc import Awaitable, Callable

import faust

from services.adapters.settings import Settings


def worker_app(settings: Settings, name: str, run: Callable[[], Awaitable[None]]) -> faust.App:
    """A Faust app named `name` whose only job is to run `run` until the worker stops."""
    datadir = settings.state_dir / "faust" / f"{settings.kafka.topic_prefix}{name}"
    datadir.parent.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        f"{settings.kafka.topic_prefix}{name}-worker",
        broker=f"kafka://{settings.kafka.bootstrap}",
        store="memory://",
        datadir=str(datadir),
        web_enabled=False,
        # The app's own consumer subscribes to nothing, but it still holds a group membership:
        # a short session lets a restarted worker rejoin at once after a crash.
        broker_session_timeout=10.0,
        broker_heartbeat_interval=3.0,
    )

    async def main() -> None:
        await run()

    app.task(main)
    return app


def run_worker(app: faust.App, settings: Settings) -> None:
    """Run the worker in the foreground until it is signalled to stop."""
    worker = faust.Worker(app, loglevel=settings.log_level.lower(), quiet=True)
    worker.execute_from_commandline()
