"""Scheduling: throttling, progress reporting and the scheduler shared by concurrent commands.

A :class:`SchedulerContext` owns one C++ runtime (thread pools, the limits on file transfers and
requests in flight, the progress tree). Every command awaited with ``scheduler=`` that context runs
on it, so commands gathered with ``asyncio.gather`` stay within the limits together and report
under one root job.
"""

import asyncio
import logging
from enum import Enum
from typing import Callable, Optional

from pydantic import BaseModel, ConfigDict

from wrapp import _core
from wrapp.utils.progress_report import ProgressReport

logger = logging.getLogger("omni.wrapp")


class ProgressReportVerbosity(Enum):
    """The amount of detail wrapp's progress report prints out."""

    #: no progress is printed.
    off = "off"
    #: an overview of the progress of the top-level tasks is given.
    normal = "normal"
    #: all scheduled jobs are listed.
    verbose = "verbose"


class ThrottlingParameters(BaseModel):
    """Class storing all common parameters for rate limiting for wrapp commands.

    Construct this class with ``ThrottlingParameters(<keyword params>)``.
    """

    model_config = ConfigDict(extra="forbid")

    #: The number of concurrent roundtrip jobs (requests in flight, I/O threads).
    jobs: int = 200
    #: The number of concurrent tagging jobs (no storage of this build has tags).
    tagging_jobs: int = 50
    #: The number of concurrent file transfer jobs.
    file_transfer_jobs: int = 10

    def __init__(self, jobs: int = 200, tagging_jobs: int = 50, file_transfer_jobs: int = 10) -> None:
        super().__init__(jobs=jobs, tagging_jobs=tagging_jobs, file_transfer_jobs=file_transfer_jobs)


class SchedulingParameters(BaseModel):
    """Class storing all parameters for constructing schedulers and rate limiting for wrapp commands.

    Construct this class with ``SchedulingParameters(<keyword params>)`` and hand it to a
    :class:`SchedulerContext` or :class:`WrappScheduler`.
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    #: The number of concurrent roundtrip jobs. Deprecated in favour of ThrottlingParameters.
    jobs: int = 200
    #: The number of concurrent tagging jobs. Deprecated in favour of ThrottlingParameters.
    tagging_jobs: int = 50
    #: The number of concurrent file transfer jobs. Deprecated in favour of ThrottlingParameters.
    file_transfer_jobs: int = 10
    #: How much the progress report tells; "off" calls no callback.
    progress_report: ProgressReportVerbosity = ProgressReportVerbosity.off
    #: The job name under which all tasks for the executed operation appear in the ProgressReport ("WRAPP").
    job_name: Optional[str] = None
    #: Callback which can be used to monitor the progress of the operation.
    progress_report_callback: Optional[Callable[[ProgressReport], None]] = None
    #: Interval in seconds between calls to the progress_report_callback (0: as often as possible; default 0.2).
    progress_report_interval: Optional[float] = None

    def __init__(self, jobs: int = 200, tagging_jobs: int = 50, file_transfer_jobs: int = 10,
                 progress_report: ProgressReportVerbosity = ProgressReportVerbosity.off,
                 job_name: Optional[str] = None,
                 progress_report_callback: Optional[Callable[[ProgressReport], None]] = None,
                 progress_report_interval: Optional[float] = None) -> None:
        super().__init__(jobs=jobs, tagging_jobs=tagging_jobs, file_transfer_jobs=file_transfer_jobs,
                         progress_report=progress_report, job_name=job_name,
                         progress_report_callback=progress_report_callback,
                         progress_report_interval=progress_report_interval)


#: Set by wrapp.initialize(throttling_params=...): the limits of schedulers whose parameters keep the defaults.
_default_throttling: Optional[ThrottlingParameters] = None


class SchedulerContext:
    """All WRAPP operations executed using the same SchedulerContext will be reported together by the
    progress reporting, and share its limits.

    Use this class directly if it is not convenient to use the :class:`WrappScheduler` context manager
    class. Make sure to call :meth:`start_scheduler` and :meth:`stop_scheduler` accordingly.
    """

    def __init__(self, params: Optional[SchedulingParameters] = None) -> None:
        self._params = params if params is not None else SchedulingParameters()
        self._throttling: Optional[ThrottlingParameters] = None
        self._runtime: Optional[_core.Runtime] = None
        self._group = ""
        self._owner: Optional["SchedulerContext"] = None

    def get_parameters(self) -> SchedulingParameters:
        """Retrieve the SchedulingParameters which were used to construct this SchedulerContext."""
        return self._params

    def start_scheduler(self) -> None:
        """Start the runtime and the progress reporting. Call stop_scheduler in a 'finally' block."""
        if self._owner is not None:
            self._owner.start_scheduler()
            return
        if self._runtime is not None and not self._runtime.closed:
            return
        params = self._params
        throttling = self._throttling or _default_throttling
        jobs, transfers = params.jobs, params.file_transfer_jobs
        if throttling is not None:
            # SchedulingParameters' job counts are deprecated: ThrottlingParameters win where given.
            jobs, transfers = throttling.jobs, throttling.file_transfer_jobs
        callback = None
        if params.progress_report_callback is not None and params.progress_report != ProgressReportVerbosity.off:
            user_callback = params.progress_report_callback

            def callback(snapshot: dict) -> None:
                user_callback(ProgressReport._from_snapshot(snapshot, root=True))

        interval = 0.2 if params.progress_report_interval is None else params.progress_report_interval
        self._runtime = _core.Runtime(jobs=jobs, file_transfer_jobs=transfers, job_name=params.job_name or "WRAPP",
                                      progress_callback=callback, progress_interval=interval)

    async def stop_scheduler(self, *, exc_type=None, exc_val=None, exc_tb=None) -> None:
        """Stop the progress reporting (one last report) after the work ended. Call only after start_scheduler()."""
        if self._owner is not None:
            return  # a sub job: the context it came from owns the runtime
        runtime, self._runtime = self._runtime, None
        if runtime is not None:
            await asyncio.to_thread(runtime.close)

    def sub_job(self, job_name: str) -> "SchedulerContext":
        """Create a named sub-job for progress reporting.

        Returns a new SchedulerContext where all operations will be grouped under ``job_name`` in the
        ProgressReport hierarchy; it shares this context's runtime and limits.
        """
        if "/" in job_name:
            job_name = job_name.replace("/", "\u2215")  # '/' separates the levels of sub jobs
        child = SchedulerContext(self._params)
        child._owner = self._root()
        child._group = f"{self._group}/{job_name}" if self._group else job_name
        return child

    def _root(self) -> "SchedulerContext":
        return self._owner if self._owner is not None else self

    def _require_runtime(self) -> "_core.Runtime":
        root = self._root()
        if root._runtime is None or root._runtime.closed:
            raise RuntimeError("the SchedulerContext is not started: call start_scheduler() or use WrappScheduler")
        return root._runtime

    async def __aenter__(self) -> "SchedulerContext":
        self.start_scheduler()
        return self

    async def __aexit__(self, exc_type, exc_val, exc_tb) -> None:
        await self.stop_scheduler(exc_type=exc_type, exc_val=exc_val, exc_tb=exc_tb)


#: The reference's other name of the scheduler type that commands take.
Scheduler = SchedulerContext


class WrappScheduler:
    """ContextManager for wrapp to schedule its tasks, throttling the number of tasks sent
    simultaneously to the storage.

    >>> async with WrappScheduler(params=SchedulingParameters(jobs=10)) as scheduler_context:
    ...     results = await asyncio.gather(wrapp.catalog(a, scheduler=scheduler_context),
    ...                                    wrapp.catalog(b, scheduler=scheduler_context))
    """

    def __init__(self, *, context: Optional[SchedulerContext] = None,
                 params: Optional[SchedulingParameters] = None) -> None:
        self._given = context is not None
        self._context = context if context is not None else SchedulerContext(params)

    async def __aenter__(self) -> SchedulerContext:
        if not self._given:
            self._context.start_scheduler()
        return self._context

    async def __aexit__(self, exc_type, exc_val, exc_tb) -> None:
        if not self._given:
            await self._context.stop_scheduler(exc_type=exc_type, exc_val=exc_val, exc_tb=exc_tb)


__all__ = ["ProgressReportVerbosity", "ThrottlingParameters", "SchedulingParameters", "SchedulerContext",
           "Scheduler", "WrappScheduler"]
