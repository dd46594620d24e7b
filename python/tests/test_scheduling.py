"""Schedulers shared by concurrent commands, progress reports, cancellation, set-up and logging."""

import asyncio
import logging
import threading
import time
from pathlib import Path

import pytest

import wrapp
from conftest import cli_json, make_tree

pytestmark = pytest.mark.asyncio


async def test_commands_gathered_on_one_scheduler(tmp_path: Path):
    trees = [make_tree(tmp_path / f"src{i}", {f"f{j}.bin": bytes([i, j]) * 1000 for j in range(20)}) for i in range(3)]
    repo = tmp_path / "repo"
    params = wrapp.SchedulingParameters(jobs=4, file_transfer_jobs=2)
    async with wrapp.WrappScheduler(params=params) as scheduler:
        results = await asyncio.gather(
            *(wrapp.create(f"p{i}", "1", str(t), catalog=False, repo=str(repo), scheduler=scheduler)
              for i, t in enumerate(trees)),
            wrapp.catalog(str(trees[0]), scheduler=scheduler))
    assert results[:3] == [None, None, None]
    assert len(results[3].items) == 20
    assert sorted(p["name"] for p in cli_json("list-repo", str(repo))) == ["p0", "p1", "p2"]


async def test_progress_reports_reach_the_callback(tmp_path: Path):
    tree = make_tree(tmp_path / "src", {f"d{i}/f{j}": b"x" * 5000 for i in range(5) for j in range(20)})
    reports = []
    params = wrapp.SchedulingParameters(progress_report=wrapp.ProgressReportVerbosity.normal, job_name="pipeline",
                                        progress_report_callback=reports.append, progress_report_interval=0)
    context = wrapp.SchedulerContext(params)
    context.start_scheduler()
    try:
        assert context.get_parameters() is params
        packaging = context.sub_job("Packaging")
        await wrapp.create("p", "1", str(tree), catalog=False, repo=str(tmp_path / "repo"), scheduler=packaging)
        await wrapp.catalog(str(tree), scheduler=packaging.sub_job("again"))
    finally:
        await context.stop_scheduler()
    assert reports and all(isinstance(r, wrapp.ProgressReport) for r in reports)
    last = reports[-1]
    assert last.job_name() == "pipeline"
    assert last.status() == wrapp.ProgressReportStatus.Done and last.progress() == 1.0
    (group,) = last.sub_jobs()
    assert group.job_name() == "Packaging"
    names = [j.job_name() for j in group.sub_jobs()]
    assert names[0] == "create" and "again" in names
    assert group.total_num_tasks_done() >= 100
    assert last.total_num_tasks_done() == group.total_num_tasks_done() + last.num_tasks_done()
    assert group.status() == wrapp.ProgressReportStatus.Done
    assert all(0.0 <= r.progress() <= 1.0 for r in reports)
    assert list(last.throttled_resource_names()), "the root reports the shared limits"
    name = list(last.throttled_resource_names())[0]
    assert last.num_tasks_waiting(name) >= 0 and last.total_num_tasks_processing_for_resource(name) >= 0
    with pytest.raises(KeyError):
        last.num_tasks_waiting("no such resource")


async def test_an_install_reports_its_phases_as_sub_jobs(tmp_path: Path):
    tree = make_tree(tmp_path / "src", {f"f{j:02}.bin": bytes([j]) * 100 for j in range(60)})
    repo = tmp_path / "repo"
    reports = []
    params = wrapp.SchedulingParameters(progress_report=wrapp.ProgressReportVerbosity.normal,
                                        progress_report_callback=reports.append, progress_report_interval=0)
    async with wrapp.WrappScheduler(params=params) as scheduler:
        await wrapp.create("p", "1", str(tree), catalog=False, repo=str(repo), scheduler=scheduler)
        await wrapp.install("p", "1", str(tmp_path / "dest"), repo=str(repo), scheduler=scheduler)
    last = reports[-1]
    install = [j for j in last.sub_jobs() if j.job_name() == "install"][-1]
    # Reports count tasks: planning looked at each of the 60 files (a pass, kept apart in the core's
    # counts), copying copied each, the package's marker was written. No own count goes negative.
    done = {j.job_name().split(" ")[0]: j.total_num_tasks_done() for j in install.sub_jobs()}
    assert done == {"inspect": 60, "install": 60, "write": 0}, done
    assert install.num_tasks_done() == 0 and install.num_tasks_executing() == 0
    assert install.total_num_tasks_done() == 120
    assert install.status() == wrapp.ProgressReportStatus.Done and install.progress() == 1.0


async def test_progress_off_calls_no_callback(tmp_path: Path):
    calls = []
    params = wrapp.SchedulingParameters(progress_report_callback=calls.append, progress_report_interval=0)
    async with wrapp.WrappScheduler(params=params) as scheduler:
        await wrapp.catalog(str(make_tree(tmp_path / "s", {"a": b"a"})), scheduler=scheduler)
    assert calls == []


async def test_cancelling_the_task_stops_the_core_promptly(tmp_path: Path):
    tree = make_tree(tmp_path / "src", {f"d{i}/f{j}.txt": b"x" for i in range(40) for j in range(50)})
    calls = []
    lock = threading.Lock()

    def slow(path: str) -> bool:
        with lock:
            calls.append(path)
        time.sleep(0.02)
        return False

    repo = tmp_path / "repo"
    async with wrapp.WrappScheduler(params=wrapp.SchedulingParameters(jobs=8)) as scheduler:
        task = asyncio.create_task(wrapp.create("p", "1", str(tree), catalog=False, repo=str(repo),
                                                ignores=wrapp.IgnoreEvaluator(str(tree), slow), scheduler=scheduler))
        while len(calls) < 20:
            await asyncio.sleep(0.01)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - started < 2.0
        at_return = len(calls)
        await asyncio.sleep(0.3)
        assert len(calls) == at_return, "no core work after the cancelled task returned"
        assert at_return < 2000 + 40, "cancelled before the walk ended"
        assert not (repo / ".packages/p/1/.p.wrapp").exists()
        # The scheduler goes on serving commands, and the version can be created afterwards.
        await wrapp.create("p", "1", str(tree), catalog=False, repo=str(repo), scheduler=scheduler)
    assert (repo / ".packages/p/1/.p.wrapp").exists()


async def test_scheduler_must_be_started(tmp_path: Path):
    context = wrapp.SchedulerContext()
    with pytest.raises(RuntimeError, match="start_scheduler"):
        await wrapp.catalog(str(make_tree(tmp_path / "s", {"a": b"a"})), scheduler=context)
    context.start_scheduler()
    await context.stop_scheduler()
    await context.stop_scheduler()  # idempotent


async def test_records_go_to_the_omni_wrapp_logger(tmp_path: Path, caplog):
    caplog.set_level(logging.INFO, logger="omni.wrapp")
    tree = make_tree(tmp_path / "s", {"a": b"a"})
    await wrapp.create("p", "1", str(tree), catalog=False, repo=str(tmp_path / "repo"))
    assert any(r.name == "omni.wrapp" and "created p 1" in r.getMessage() for r in caplog.records)


async def test_tags_warn(tmp_path: Path, caplog):
    caplog.set_level(logging.WARNING, logger="omni.wrapp")
    tree = make_tree(tmp_path / "s", {"a": b"a"})
    await wrapp.create("p", "1", str(tree), catalog=False, tags=True, repo=str(tmp_path / "repo"))
    assert any("tags" in r.getMessage() for r in caplog.records)


async def test_initialize_and_shutdown(tmp_path: Path):
    wrapp.initialize()
    wrapp.initialize(throttling_params=wrapp.ThrottlingParameters(file_transfer_jobs=1))
    wrapp.api.shutdown(shutdown_client_lib=False)
    wrapp.api.initialize()
    wrapp.shutdown(stop_timeout=10)
    try:
        with pytest.raises(RuntimeError):
            wrapp.initialize()
    finally:
        wrapp.api._reset_for_tests()
    wrapp.initialize()


async def test_context_manager_yields_a_started_scheduler(tmp_path: Path):
    tree = make_tree(tmp_path / "s", {"a": b"a"})
    async with wrapp.ContextManager(scheduler_context=wrapp.SchedulingParameters(jobs=2),
                                    throttling_params=wrapp.ThrottlingParameters(jobs=3)) as ctx:
        assert isinstance(ctx, wrapp.SchedulerContext)
        assert ctx.get_parameters().jobs == 2
        await wrapp.create("p", "1", str(tree), catalog=False, repo=str(tmp_path / "repo"), scheduler=ctx)
    with pytest.raises(RuntimeError):
        await wrapp.catalog(str(tree), scheduler=ctx)


async def test_stopping_the_scheduler_cancels_what_still_runs(tmp_path: Path):
    tree = make_tree(tmp_path / "src", {f"d{i}/f{j}.txt": b"x" for i in range(20) for j in range(50)})
    started = threading.Event()

    def slow(path: str) -> bool:
        started.set()
        time.sleep(0.01)
        return False

    context = wrapp.SchedulerContext(wrapp.SchedulingParameters(jobs=4))
    context.start_scheduler()
    task = asyncio.create_task(wrapp.create("p", "1", str(tree), catalog=False, repo=str(tmp_path / "repo"),
                                            ignores=wrapp.IgnoreEvaluator(str(tree), slow), scheduler=context))
    while not started.is_set():
        await asyncio.sleep(0.01)
    began = time.monotonic()
    await context.stop_scheduler()  # the running create is cancelled; stop returns once it has stopped
    assert time.monotonic() - began < 2.0
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not (tmp_path / "repo/.packages/p/1/.p.wrapp").exists()
