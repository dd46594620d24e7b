"""ProgressReport: the state of the jobs wrapp runs, handed to a ``progress_report_callback``.

The C++ core keeps a tree of jobs (the root, one job per ``SchedulerContext.sub_job``, one per command
run, one per phase of a command) whose counters only grow. A report is a snapshot of that tree:

- a *task* is one unit of a job's work (a file listed, hashed, copied, verified);
- ``num_tasks_done`` counts the finished ones (failed included), ``num_tasks_executing`` those known
  and not finished yet (running or waiting for a limited resource);
- ``num_*`` count a job's own tasks, ``total_num_*`` include its sub-jobs;
- the limited resources (file transfers, requests in flight, connections per backend) are shared
  by all jobs, so how many tasks use or wait for each is known for the root only: sub-jobs report
  no throttled resources.
"""

from enum import Enum
from typing import Any, Dict, Iterable, List, Optional


class ProgressReportStatus(Enum):
    """The status of a job."""

    Running = "Running"
    Done = "Done"
    Failed = "Failed"
    Cancelled = "Cancelled"


class ProgressReport:
    """Progress report for WRAPP operations (or "jobs") running in the background.

    Each progress report represents the state of a job, including its sub-jobs. A single root job report
    (named "WRAPP" by default, customizable via ``SchedulingParameters.job_name``) serves as the top-level
    container for all other job reports. Jobs which are siblings in the hierarchy are executed concurrently.
    """

    def __init__(self, job_name: str, num_tasks_executing: int, num_tasks_done: int,
                 expected_num_sub_jobs: Optional[int]) -> None:
        self._job_name = job_name
        self._num_tasks_executing = num_tasks_executing
        self._num_tasks_done = num_tasks_done
        self._expected_num_sub_jobs = expected_num_sub_jobs
        self._sub_jobs: List["ProgressReport"] = []
        self._status = ProgressReportStatus.Running
        self._processing: Dict[str, int] = {}
        self._waiting: Dict[str, int] = {}
        self._bytes_done = 0
        self._bytes_total = 0
        self._elapsed = 0.0

    @classmethod
    def _from_snapshot(cls, snapshot: Dict[str, Any], root: bool = False,
                       parent_finished: bool = False) -> "ProgressReport":
        """A report from the core's snapshot of a job (``_core.Runtime`` progress callback).

        A job whose parent finished is over too (a command's phases end with the command).
        """
        finished = bool(snapshot.get("finished")) or parent_finished
        sub_jobs = [cls._from_snapshot(s, parent_finished=finished) for s in snapshot.get("sub_jobs", [])]
        total = int(snapshot["total_tasks"])
        done = int(snapshot["done_tasks"])
        # A pass (planning before a copy) looks again at files its parent counts: its tasks are not
        # in the parent's totals.
        counted = [s for s, raw in zip(sub_jobs, snapshot.get("sub_jobs", [])) if not raw.get("pass")]
        own_total = total - sum(s._total_tasks for s in counted)
        own_done = done - sum(s.total_num_tasks_done() for s in counted)
        report = cls(snapshot["name"], max(0, own_total - own_done), max(0, own_done), len(sub_jobs))
        report._sub_jobs = sub_jobs
        report._total_tasks = total
        report._bytes_done = int(snapshot.get("done_bytes", 0))
        report._bytes_total = int(snapshot.get("total_bytes", 0))
        report._elapsed = float(snapshot.get("elapsed_seconds", 0.0))
        status = snapshot.get("status", "")
        if status == "failed":
            report._status = ProgressReportStatus.Failed
        elif status == "cancelled":
            report._status = ProgressReportStatus.Cancelled
        elif finished or (not root and sub_jobs and own_total == own_done
                                          and all(s.status() != ProgressReportStatus.Running for s in sub_jobs)):
            # A group (sub_job) is done when all it ran is.
            report._status = ProgressReportStatus.Done
        for resource in snapshot.get("resources", []):
            report._processing[resource["name"]] = int(resource["processing"])
            report._waiting[resource["name"]] = int(resource["waiting"])
        return report

    _total_tasks = 0

    def job_name(self) -> str:
        """Name of the job, used to identify jobs. Job names might not be unique."""
        return self._job_name

    def status(self) -> ProgressReportStatus:
        """The status of the job."""
        return self._status

    def sub_jobs(self) -> List["ProgressReport"]:
        """All sub jobs running as part of this job."""
        return list(self._sub_jobs)

    def num_tasks_done(self) -> int:
        """Number of tasks spawned by this job which are completed (this includes failed tasks)."""
        return self._num_tasks_done

    def num_tasks_executing(self) -> int:
        """Number of tasks spawned by this job directly which are currently executing."""
        return self._num_tasks_executing

    def total_num_tasks_done(self) -> int:
        """Number of tasks spawned by this job or its sub jobs which are completed (this includes failed tasks)."""
        return self._num_tasks_done + sum(s.total_num_tasks_done() for s in self._sub_jobs)

    def total_num_tasks_executing(self) -> int:
        """Number of tasks spawned by this job or its sub jobs which are currently executing."""
        return self._num_tasks_executing + sum(s.total_num_tasks_executing() for s in self._sub_jobs)

    def throttled_resource_names(self) -> Iterable[str]:
        """The names of all resources limiting concurrent execution of tasks spawned directly by this job."""
        return list(self._processing)

    def total_throttled_resource_names(self) -> Iterable[str]:
        """The names of all resources limiting concurrent execution of tasks spawned by this job or its sub jobs."""
        names = dict.fromkeys(self._processing)
        for s in self._sub_jobs:
            names.update(dict.fromkeys(s.total_throttled_resource_names()))
        return list(names)

    def num_tasks_processing(self, resource_name: str) -> int:
        """Tasks of this job executing with the limited resource ``resource_name`` (KeyError if unknown)."""
        return self._processing[resource_name]

    def num_tasks_waiting(self, resource_name: str) -> int:
        """Tasks of this job waiting for the limited resource ``resource_name`` (KeyError if unknown)."""
        return self._waiting[resource_name]

    def total_num_tasks_processing(self) -> int:
        """Tasks of this job or its sub jobs executing with one of the limited resources."""
        return sum(self._processing.values()) + sum(s.total_num_tasks_processing() for s in self._sub_jobs)

    def total_num_tasks_processing_for_resource(self, resource_name: str) -> int:
        """Tasks of this job or its sub jobs executing with the named resource (KeyError if unknown)."""
        return self._total_for_resource(resource_name, "_processing")

    def total_num_tasks_waiting(self) -> int:
        """Tasks of this job or its sub jobs waiting for one of the limited resources."""
        return sum(self._waiting.values()) + sum(s.total_num_tasks_waiting() for s in self._sub_jobs)

    def total_num_tasks_waiting_for_resource(self, resource_name: str) -> int:
        """Tasks of this job or its sub jobs waiting for the named resource (KeyError if unknown)."""
        return self._total_for_resource(resource_name, "_waiting")

    def progress(self) -> float:
        """A rough measure of progress between 0 and 1 while "Running", otherwise 1.

        Progress is distributed equally: each sub-job and this job's own tasks each receive 1/n weight.
        """
        if self._status != ProgressReportStatus.Running:
            return 1.0
        parts: List[float] = [s.progress() for s in self._sub_jobs]
        own = self._num_tasks_done + self._num_tasks_executing
        if own:
            parts.append(self._num_tasks_done / own)
        return sum(parts) / len(parts) if parts else 0.0

    def bytes_done(self) -> int:
        """Bytes moved or hashed by this job and its sub jobs (a wrapp addition)."""
        return self._bytes_done

    def bytes_total(self) -> int:
        """Bytes this job and its sub jobs know they will move or hash (a wrapp addition)."""
        return self._bytes_total

    def elapsed_seconds(self) -> float:
        """Seconds since the job started, until it finished (a wrapp addition)."""
        return self._elapsed

    def _total_for_resource(self, resource_name: str, counts: str) -> int:
        if resource_name not in self.total_throttled_resource_names():
            raise KeyError(resource_name)
        jobs = [self, *self._walk_sub_jobs()]
        return sum(getattr(job, counts).get(resource_name, 0) for job in jobs)

    def _walk_sub_jobs(self) -> Iterable["ProgressReport"]:
        for s in self._sub_jobs:
            yield s
            yield from s._walk_sub_jobs()

    def __repr__(self) -> str:
        return (f"ProgressReport({self._job_name!r}, {self._status.value}, done={self.total_num_tasks_done()}, "
                f"executing={self.total_num_tasks_executing()}, sub_jobs={len(self._sub_jobs)})")


__all__ = ["ProgressReport", "ProgressReportStatus"]
