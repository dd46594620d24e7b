"""The public Python surface of wrapp against the reference.

Every function, class and method the reference documents is written down below as data: its dotted
path, its parameter list copied from the reference (names, order, defaults, ``*``), whether it is a
coroutine function, and where the reference documents it. The sources are
``/work/shared/reference/wrapp-python-api.txt`` (the API page, "api") and
``/work/shared/reference/wrapp-spec.md`` (section 2 Python signatures, 3.2, 6.1, appendices B and D).

Rules of the comparison (``signature_problems``):

- The documented positional parameters must be exactly our positional parameters: same names, same
  order, same kind (positional-or-keyword), the documented default or, where the reference shows none,
  no default.
- The documented keyword-only parameters must be keyword-only in ours, with their defaults, and come
  first among our keyword-only parameters, in the documented order. Extra keyword-only parameters
  AFTER the documented ones are allowed (wrapp additions such as ``scheduler=`` on ``diff``);
  extra positional parameters are not.
- ``partial``: the reference's text is truncated after the last documented parameter, so anything may
  follow it. ``anywhere``: names the reference documents without saying where (e.g. ``ls``'s
  ``with_hash``, "added in 2.2.1"); they must exist.
- ``ANY`` as a default: the reference shows that a default exists but not its value.
- Type annotations are not compared.

Where our surface differs from the reference, the case is listed in ``KNOWN_DIFFERENCES`` and marked
``xfail(strict=True)``: the test stays as strict as the reference, and passes again (failing the
xfail) once the difference is removed.
"""

from __future__ import annotations

import enum
import importlib
import importlib.metadata
import inspect
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
from pydantic import BaseModel

import wrapp
from wrapp.datastructures.catalog import ItemType
from wrapp.datastructures.command_context import CommandParameters
from wrapp.datastructures.ls import LsOutputFormat
from wrapp.scheduling import ProgressReportVerbosity


class _Any:
    """A default the reference shows without its value (e.g. a Typer ``OptionInfo``)."""

    def __repr__(self) -> str:
        return "ANY"


ANY = _Any()

# What the documented defaults are evaluated in.
_DEFAULTS_NAMESPACE = {
    "ANY": ANY,
    "CommandParameters": CommandParameters,
    "LsOutputFormat": LsOutputFormat,
    "ProgressReportVerbosity": ProgressReportVerbosity,
}

API = "api page"  # /work/shared/reference/wrapp-python-api.txt
ENUM_CALL = "value, names=None, *, module=None, qualname=None, type=None, start=1, boundary=None"
CP = "CommandParameters()"  # the reference's "CommandParameters(...)" / CommandParameters(debug=False, ...)


@dataclass(frozen=True)
class Doc:
    """One documented callable."""

    path: str  # dotted path from the top-level package, e.g. "wrapp.StorageAuthInfo.nucleus"
    params: Optional[str]  # the parameter list as the reference writes it; None: the reference shows none
    is_async: Optional[bool]  # None: the reference does not say
    source: str
    partial: bool = False
    anywhere: Tuple[str, ...] = ()
    kind: str = "function"  # "function", "classmethod", "staticmethod", "class"

    def __str__(self) -> str:
        return self.path


def _methods(owner: str, **params: str) -> List[Doc]:
    """Plain (not async) methods of a class documented on the API page: name=parameter list."""
    return [Doc(f"{owner}.{name}", text, False, API) for name, text in params.items()]


def _commands() -> List[Doc]:
    """Spec section 2 (Python signatures of the commands) and Appendix B."""
    s = "spec §2"
    return [
        # The reference truncates create after skip_dirty_check with "publish_…" (a positional parameter
        # whose name is not visible); the visible part is checked.
        Doc("wrapp.create", "package_name, version, source, catalog, tags=False, ignores=None, repo=None, "
            f"check_subpackage=False, skip_dirty_check=False, *, context={CP}, scheduler=None", True, s + ".1"),
        # Only a call is documented: install(package_name, version, destination=..., repo=..., scheduler=...).
        Doc("wrapp.install", "package_name, version", True, s + ".2", partial=True,
            anywhere=("destination", "repo", "scheduler")),
        Doc("wrapp.uninstall", "package_name, install_location", True, s + ".3", partial=True),
        Doc("wrapp.status", f"wrapp_file, ignores=None, *, ignore_file=None, context={CP}, scheduler=None",
            True, s + ".4"),
        Doc("wrapp.check_package_content", "wrapp_file, recursive=False, *, context=None, scheduler=None",
            True, s + ".5"),
        Doc("wrapp.list_repo", "repository, *, scheduler=None", True, s + ".6"),
        Doc("wrapp.mirror", "package_name, version, source_repo, destination_repo, tags=False, resume=False, "
            f"template_version=None, *, redirect_dependencies=False, context={CP}, scheduler=None", True, s + ".7"),
        Doc("wrapp.apply_patch", f"patch, *, context={CP}, scheduler=None", True, s + ".8"),
        # "CLI-only Typer function wrapp.commands.cat.cat(url, auth, interactive_auth, log_file, debug,
        # json_logging, stats, time)", each default a typer ArgumentInfo/OptionInfo.
        # The reference's url "default" is Typer's ArgumentInfo marker of a required argument, not a value.
        Doc("wrapp.commands.cat.cat", "url, auth=ANY, interactive_auth=ANY, log_file=ANY, debug=ANY, "
            "json_logging=ANY, stats=ANY, time=ANY", None, s + ".9, §2.0"),
        Doc("wrapp.catalog", "root_dir=None, file_list=None, tags=False, ignores=None, local_hash=False, "
            f"checkpoints=True, skip_missing=False, *, context={CP}", True, s + ".10", partial=True),
        # 2.1.0 signature; latest: CLI-only.
        Doc("wrapp.commands.count.count", f"catalog_file, context={CP}", None, s + ".11"),
        Doc("wrapp.create_metapackage", "package_name, version, repo, content, *, context=None, scheduler=None",
            True, s + ".12"),
        Doc("wrapp.create_patch", "a_catalog, b_catalog, baseline, patch, tags=False, overwrite=False, "
            f"ignore=False, force=False, context={CP}", True, s + ".13", partial=True),
        Doc("wrapp.delete_packages_from_repo", "to_delete, *, context=None, scheduler=None", True, s + ".14"),
        Doc("wrapp.diff", "catalog_a, catalog_b, ignore_tags", True, s + ".15"),
        Doc("wrapp.export_package", "catalog, repo, package_name, version, output, overwrite=False, dedup=False, "
            f"*, context={CP}, scheduler=None", True, s + ".16"),
        Doc("wrapp.extract_catalog", "package, version, repo, recursive, add_wrapp_files=False, "
            f"recalculate_identities=False, *, context={CP}, scheduler=None", True, s + ".17"),
        Doc("wrapp.find_orphaned_package_versions", "locking_packages, repos_to_inspect, *, context=None, "
            "scheduler=None", True, s + ".18"),
        Doc("wrapp.freeze", None, True, s + ".19 (signature not visible)"),
        Doc("wrapp.get", f"url, filename, overwrite=False, context={CP}, *, scheduler=None", True, s + ".20"),
        Doc("wrapp.import_package", f"package_file, repository, overwrite=False, *, context={CP}, scheduler=None",
            True, s + ".21"),
        Doc("wrapp.installed_package_list", f"wrapp_file, *, direct_only=False, context={CP}, scheduler=None",
            True, s + ".22"),
        Doc("wrapp.ls", "base_url, url, recursive, pattern=None, output_format=LsOutputFormat.normal, "
            "print_to_console=False, *, scheduler=None", True, s + ".23", anywhere=("with_hash",)),
        Doc("wrapp.new", "package_name, version, destination, create_catalog, tags=False, ignores=None, "
            f"local_hash=False, *, context={CP}, scheduler=None", True, s + ".24"),
        Doc("wrapp.publish_redirect", "source_repos, redirect_repo, external_url=None, *, context=None, "
            "scheduler=None", True, s + ".25"),
        Doc("wrapp.traceback", None, True, s + ".26 (signature not visible)"),
    ]


def _setup_and_auth() -> List[Doc]:
    """API page: set-up, tear-down, authentication, package files, ignore rules."""
    initialize = "debug_level=False, throttling_params=None"
    shutdown = "exc_type=None, exc_val=None, exc_tb=None, shutdown_client_lib=True, stop_timeout=None"
    context_manager = ("auth_infos=None, interactive_login_allowed=False, standalone_mode=True, "
                       "scheduler_context=None, throttling_params=None")
    # wrapp.api.*: the complex example calls wrapp.api.initialize/shutdown; spec §6.1 names wrapp.api.ContextManager.
    return [
        *[Doc(f"{module}.initialize", initialize, False, API) for module in ("wrapp", "wrapp.api")],
        *[Doc(f"{module}.shutdown", shutdown, False, API) for module in ("wrapp", "wrapp.api")],
        *[Doc(f"{module}.ContextManager", context_manager, None, API, kind="class")
          for module in ("wrapp", "wrapp.api")],
        Doc("wrapp.ContextManager.add_auth", "auth_info", False, API),
        Doc("wrapp.AuthInfo", "server, username, password_or_token", None, API, kind="class"),
        Doc("wrapp.StorageAuthInfo", "server_url, auth_data", None, API, kind="class"),
        Doc("wrapp.StorageAuthInfo.boto3", "server_url, aws_access_key_id, aws_secret_access_key, "
            "aws_session_token=None", False, API, kind="classmethod"),
        Doc("wrapp.StorageAuthInfo.gcs", "server_url, project_id=None, credentials_file=None", False, API,
            kind="classmethod"),
        Doc("wrapp.StorageAuthInfo.nucleus", "server_url, username, password_or_token", False, API,
            kind="classmethod"),
        Doc("wrapp.StorageAuthInfo.storage_api_bearer", "discovery_url, bearer_token", False, API,
            kind="classmethod"),
        Doc("wrapp.StorageAuthInfo.storage_api_client_credentials", "discovery_url, client_id, client_secret",
            False, API, kind="classmethod"),
        Doc("wrapp.AuthManager", "auth_infos=None, interactive_fallback=True", None, API, kind="class"),
        *_methods("wrapp.AuthManager", add_auth="auth_info", clear="", initialize="",
                  shutdown="exc_type=None, exc_val=None, exc_tb=None"),
        # wrapp.datastructures.package.*: spec Appendix D.
        *[Doc(f"{module}.read_package_info", "package_url", True, API)
          for module in ("wrapp", "wrapp.datastructures.package")],
        *[Doc(f"{module}.write_package_info", "package_url, package, context=None", True, API)
          for module in ("wrapp", "wrapp.datastructures.package")],
        Doc("wrapp.IgnoreEvaluator", "root_path, predicate", None, API, kind="class"),
        Doc("wrapp.IgnoreEvaluator.add_evaluator", "predicate", False, API),
        Doc("wrapp.IgnoreEvaluator.create_from_file", "ignore_file, base_url", True, API, kind="staticmethod"),
        Doc("wrapp.IgnoreEvaluator.is_ignored", "path", False, API),
        Doc("wrapp.IgnoreFilePredicate", "ignore_text, normalized_base_url", None, API, kind="class"),
        Doc("wrapp.IgnoreFilePredicate.is_ignored", "normalized_abs_url", False, API),
    ]


def _data_and_scheduling() -> List[Doc]:
    """API page: data objects, patches, common configuration, progress reporting, scheduling."""
    report_methods = [
        ("job_name", ""), ("num_tasks_done", ""), ("num_tasks_executing", ""),
        ("num_tasks_processing", "resource_name"), ("num_tasks_waiting", "resource_name"), ("progress", ""),
        ("status", ""), ("sub_jobs", ""), ("throttled_resource_names", ""), ("total_num_tasks_done", ""),
        ("total_num_tasks_executing", ""), ("total_num_tasks_processing", ""),
        ("total_num_tasks_processing_for_resource", "resource_name"), ("total_num_tasks_waiting", ""),
        ("total_num_tasks_waiting_for_resource", "resource_name"), ("total_throttled_resource_names", ""),
    ]
    return [
        Doc("wrapp.Catalog.get_source_url_for_item", "item", False, API),
        Doc("wrapp.Catalog.get_storage_path_for_item", "item", False, API),
        Doc("wrapp.Catalog.size_of_catalog", "", False, API),
        Doc("wrapp.Catalog.size_of_catalog_deduped", "", False, API),
        # "catalog = await wrapp.Catalog.load("my_catalog.json")"; the parameter's name is not shown.
        Doc("wrapp.Catalog.load", None, True, "spec §2.11, App. B"),
        Doc("wrapp.LsResultItemType", ENUM_CALL, None, API, kind="class"),
        Doc("wrapp.datastructures.workspace_analysis.PackageStatusItemType", ENUM_CALL, None, API, kind="class"),
        Doc("wrapp.datastructures.patch.PatchOperationType", ENUM_CALL, None, API, kind="class"),
        Doc("wrapp.ProgressReportVerbosity", ENUM_CALL, None, API, kind="class"),
        Doc("wrapp.Patch", "", None, API, kind="class"),
        *_methods("wrapp.Patch", add="operation", get_error_msg="operation", get_errors=""),
        Doc("wrapp.Patch.execute", "context, scheduler", True, API),
        *[Doc(f"wrapp.datastructures.patch.{op}.explanation_txt", "", False, API)
          for op in ("PatchOpBase", "PatchOpCopy", "PatchOpDelete", "PatchOpCreateFolder")],
        *[Doc(f"{module}.CommandParameters", "debug=False, verbose=False, dry_run=False, log_file=None, "
              "hash_cache_file=None", None, API + ", spec §3.2, App. D", kind="class")
          for module in ("wrapp", "wrapp.datastructures.command_context")],
        Doc("wrapp.ProgressReport", "job_name, num_tasks_executing, num_tasks_done, expected_num_sub_jobs",
            None, API, kind="class"),
        *[Doc(f"wrapp.ProgressReport.{name}", params, False, API) for name, params in report_methods],
        Doc("wrapp.SchedulingParameters", "jobs=200, tagging_jobs=50, file_transfer_jobs=10, "
            "progress_report=ProgressReportVerbosity.off, job_name=None, progress_report_callback=None, "
            "progress_report_interval=None", None, API, kind="class"),
        Doc("wrapp.SchedulerContext", "params=None", None, API, kind="class"),
        Doc("wrapp.SchedulerContext.get_parameters", "", False, API),
        Doc("wrapp.SchedulerContext.start_scheduler", "", False, API),
        Doc("wrapp.SchedulerContext.stop_scheduler", "*, exc_type=None, exc_val=None, exc_tb=None", True, API),
        Doc("wrapp.SchedulerContext.sub_job", "job_name", False, API),
        Doc("wrapp.ThrottlingParameters", "jobs=200, tagging_jobs=50, file_transfer_jobs=10", None, API,
            kind="class"),
        Doc("wrapp.WrappScheduler", "*, context=None, params=None", None, API, kind="class"),
        Doc("wrapp.utils.nucleus_hash.calc_nucleus_hash_from_stream", "stream", False, "spec App. D"),
        # AuthManager example: "result, version, content = wrapp_read_file_content(url)".
        Doc("wrapp.utils.storage_interface.wrapp_read_file_content", "url", None, API + " (AuthManager example)"),
        # "wrapp_write_file_content(context, url, text)" [R-3P].
        Doc("wrapp.utils.storage_interface.wrapp_write_file_content", "context, url, text", None, "spec §4.5"),
    ]


DOCUMENTED: List[Doc] = [*_commands(), *_setup_and_auth(), *_data_and_scheduling()]

KNOWN_DIFFERENCES: Dict[str, str] = {}


def _resolve(path: str) -> Any:
    """The object at a dotted path, importing modules on the way."""
    parts = path.split(".")
    obj: Any = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], start=1):
        if not hasattr(obj, part):
            obj = importlib.import_module(".".join(parts[: i + 1]))
        else:
            obj = getattr(obj, part)
    return obj


def _owner_and_raw(path: str) -> Tuple[Any, Any]:
    """For a method path, the class and the attribute as stored on it (classmethod/staticmethod objects)."""
    owner_path, name = path.rsplit(".", 1)
    owner = _resolve(owner_path)
    for klass in inspect.getmro(owner) if inspect.isclass(owner) else ():
        if name in vars(klass):
            return owner, vars(klass)[name]
    return owner, None


def _documented_signature(params: str) -> inspect.Signature:
    namespace = dict(_DEFAULTS_NAMESPACE)
    exec(f"def documented({params}): pass", namespace)  # noqa: S102 (our own test data)
    return inspect.signature(namespace["documented"])


def _default_problem(ours: inspect.Parameter, doc: inspect.Parameter) -> Optional[str]:
    if doc.default is inspect.Parameter.empty:
        if ours.default is not inspect.Parameter.empty:
            return f"'{doc.name}' has default {ours.default!r}; the reference shows none"
        return None
    if ours.default is inspect.Parameter.empty:
        return f"'{doc.name}' has no default; the reference shows {doc.default!r}"
    if doc.default is ANY or ours.default == doc.default:
        return None
    return f"'{doc.name}' defaults to {ours.default!r}; the reference shows {doc.default!r}"


def signature_problems(doc: Doc) -> List[str]:
    """How our signature differs from the documented one under the rules of the module docstring."""
    obj = _resolve(doc.path)
    ours = list(inspect.signature(obj).parameters.values())
    if doc.kind == "function" and ours and ours[0].name == "self" and inspect.isfunction(obj):
        ours = ours[1:]  # a method looked up on its class
    documented = list(_documented_signature(doc.params or "").parameters.values())
    positional_kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    doc_positional = [p for p in documented if p.kind in positional_kinds]
    doc_keyword = [p for p in documented if p.kind is inspect.Parameter.KEYWORD_ONLY]
    our_positional = [p for p in ours if p.kind in positional_kinds and p.name not in doc.anywhere]
    our_keyword = [p for p in ours if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in doc.anywhere]
    problems: List[str] = []

    for i, d in enumerate(doc_positional):
        if i >= len(our_positional):
            problems.append(f"positional parameter {i} '{d.name}' is missing")
            continue
        o = our_positional[i]
        if o.name != d.name:
            problems.append(f"positional parameter {i} is '{o.name}'; the reference has '{d.name}'")
            continue
        if o.kind is not d.kind:
            problems.append(f"'{d.name}' is {o.kind.description}; the reference has {d.kind.description}")
        problem = _default_problem(o, d)
        if problem:
            problems.append(problem)
    extra_positional = our_positional[len(doc_positional):]
    if extra_positional and not (doc.partial and not doc_keyword):
        problems.append(f"extra positional parameters {[p.name for p in extra_positional]}")

    for i, d in enumerate(doc_keyword):
        if i >= len(our_keyword) or our_keyword[i].name != d.name:
            found = next((p for p in ours if p.name == d.name), None)
            if found is None:
                problems.append(f"keyword-only parameter '{d.name}' is missing")
            elif found.kind is not inspect.Parameter.KEYWORD_ONLY:
                problems.append(f"'{d.name}' is {found.kind.description}; the reference has it keyword-only")
            else:
                before = [p.name for p in our_keyword[:i + 1] if p.name not in {k.name for k in doc_keyword}]
                problems.append(f"keyword-only '{d.name}' is not in its documented place; "
                                f"undocumented keyword-only parameters before it: {before}")
            continue
        problem = _default_problem(our_keyword[i], d)
        if problem:
            problems.append(problem)

    names = {p.name for p in ours}
    for name in doc.anywhere:
        if name not in names and not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in ours):
            problems.append(f"parameter '{name}' is missing")
    return problems


def case(case_id: str, value: Any, differences: Dict[str, str]):
    """A test case, marked xfail(strict=True) when ``differences`` names it."""
    marks = [pytest.mark.xfail(strict=True, reason=differences[case_id])] if case_id in differences else []
    return pytest.param(value, id=case_id, marks=marks)


@pytest.mark.parametrize("doc", [case(d.path, d, KNOWN_DIFFERENCES) for d in DOCUMENTED if d.params is not None])
def test_documented_signature(doc: Doc):
    assert signature_problems(doc) == [], f"{doc.path} ({doc.source})"


@pytest.mark.parametrize("doc", [pytest.param(d, id=d.path) for d in DOCUMENTED if d.is_async is not None])
def test_async_or_not(doc: Doc):
    obj = _resolve(doc.path)
    assert inspect.iscoroutinefunction(obj) is doc.is_async, f"{doc.path}: async expected {doc.is_async}"


@pytest.mark.parametrize("doc", [pytest.param(d, id=d.path) for d in DOCUMENTED
                                 if d.kind in ("classmethod", "staticmethod")])
def test_class_and_static_methods(doc: Doc):
    _, raw = _owner_and_raw(doc.path)
    expected = classmethod if doc.kind == "classmethod" else staticmethod
    assert isinstance(raw, expected), f"{doc.path} should be a {doc.kind}"


@pytest.mark.parametrize("doc", [pytest.param(d, id=d.path) for d in DOCUMENTED if d.kind == "class"])
def test_documented_classes_are_classes(doc: Doc):
    assert inspect.isclass(_resolve(doc.path))


# --- every command: async, on wrapp and on wrapp.commands -----------------------------------------

COMMANDS = [
    "apply_patch", "catalog", "check_package_content", "create", "create_metapackage", "create_patch",
    "delete_packages_from_repo", "diff", "export_package", "extract_catalog", "find_orphaned_package_versions",
    "freeze", "get", "import_package", "install", "installed_package_list", "list_repo", "ls", "mirror", "new",
    "publish_redirect", "status", "traceback", "uninstall",
]


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_async_and_reachable_as_wrapp_commands(name: str):
    import wrapp.commands

    function = getattr(wrapp, name)
    assert inspect.iscoroutinefunction(function)
    assert getattr(wrapp.commands, name) is function  # "await wrapp.commands.create(...)" (API page)
    assert name in wrapp.__all__


# --- names, module paths and aliases ---------------------------------------------------------------

# Appendix B's classes and the API page's names, at the top level.
TOP_LEVEL = [
    "AuthInfo", "AuthManager", "Catalog", "CatalogItem", "CheckResult", "CommandParameters", "ContextManager",
    "Dependency", "DependencySet", "FailedCommand", "IgnoreEvaluator", "IgnoreFilePredicate", "IgnorePredicate",
    "InstalledPackage", "LsOutputFormat", "LsResultItem", "LsResultItemType", "PackageInfo", "PackageStatusItem",
    "PackageStatusItemType", "Patch", "PatchOperationType", "ProgressReport", "ProgressReportVerbosity",
    "Scheduler", "SchedulerContext", "SchedulingParameters", "StorageAuthInfo", "StorageOperationError",
    "ThrottlingParameters", "UniquePackageLocation", "WrappScheduler", "calc_nucleus_hash_from_stream",
    "initialize", "read_package_info", "shutdown", "write_package_info",
]

# Module paths the reference and real scripts use (API page headings, spec appendices B and D, examples).
MODULE_PATHS = {
    "wrapp.datastructures.catalog": ["Catalog", "CatalogItem", "StorageMap", "Tag"],
    "wrapp.datastructures.package": ["PackageInfo", "Dependency", "DependencySet", "read_package_info",
                                     "write_package_info"],
    "wrapp.datastructures.patch": ["Patch", "PatchOperationType", "PatchOpBase", "PatchOpCopy", "PatchOpDelete",
                                   "PatchOpCreateFolder"],
    "wrapp.datastructures.workspace_analysis": ["PackageStatusItem", "PackageStatusItemType", "CheckResult"],
    "wrapp.datastructures.command_context": ["CommandParameters"],
    "wrapp.datastructures.authentication": ["StorageAuthInfo", "AuthInfo"],
    "wrapp.utils.nucleus_hash": ["calc_nucleus_hash_from_stream"],
    "wrapp.utils.storage_interface": ["Result", "wrapp_read_file_content", "wrapp_write_file_content"],
    "wrapp.utils.utils": ["FailedCommand", "StorageOperationError"],
    "wrapp.utils.progress_report": ["ProgressReport", "ProgressReportStatus"],
    "wrapp.api": ["initialize", "shutdown", "ContextManager"],
    "wrapp.commands.cat": ["cat"],
    "wrapp.commands.count": ["count"],
    # spec §3.1: the Typer/click option objects a WRAPP-style command imports.
    "wrapp.options": ["AuthOption", "InteractiveAuthFlag", "ProgressReportOption", "RepoRequiredOption",
                      "OverwriteFlag"],
}


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_top_level_name(name: str):
    assert hasattr(wrapp, name)


MODULE_DIFFERENCES: Dict[str, str] = {}


@pytest.mark.parametrize("module_name", [case(m, m, MODULE_DIFFERENCES) for m in sorted(MODULE_PATHS)])
def test_module_path(module_name: str):
    module = importlib.import_module(module_name)
    missing = [name for name in MODULE_PATHS[module_name] if not hasattr(module, name)]
    assert missing == [], f"{module_name} lacks {missing}"
    for name in MODULE_PATHS[module_name]:
        if hasattr(wrapp, name) and not module_name.startswith("wrapp.commands"):
            assert getattr(module, name) is getattr(wrapp, name), f"{module_name}.{name} is not wrapp.{name}"


def test_aliases_and_exceptions():
    assert wrapp.Scheduler is wrapp.SchedulerContext  # spec §6.1: "wrapp.Scheduler type alias"
    assert issubclass(wrapp.FailedCommand, Exception)
    assert issubclass(wrapp.StorageOperationError, Exception)
    from wrapp.utils.storage_interface import Result

    assert Result.OK is not Result.ERROR_NOT_FOUND  # spec §4.5
    assert logging.getLogger("omni.wrapp").handlers or logging.getLogger("omni.wrapp").propagate


def test_async_context_managers():
    for cls in (wrapp.ContextManager, wrapp.WrappScheduler):
        assert inspect.iscoroutinefunction(cls.__aenter__) and inspect.iscoroutinefunction(cls.__aexit__)
    assert callable(wrapp.AuthManager.__enter__) and callable(wrapp.AuthManager.__exit__)  # "with AuthManager(...)"


# --- enums -----------------------------------------------------------------------------------------


def test_package_status_item_type_has_the_nine_values():
    from wrapp.datastructures.workspace_analysis import PackageStatusItemType

    expected = {
        "EXTRA_ITEM": "extra_item", "EXTRA_PACKAGE": "extra_package", "ITEM_DIFFERS": "item_differs",
        "ITEM_MISSING": "item_missing", "PACKAGE_MISSING": "package_missing",
        "PACKAGE_MODIFIED": "package_modified", "PACKAGE_NO_CATALOG": "package_no_catalog",
        "PACKAGE_VERSION_MISMATCH": "package_version_mismatch", "SUBPACKAGE_MODIFIED": "subpackage_modified",
    }
    assert {member.name: member.value for member in PackageStatusItemType} == expected


def test_patch_operation_type_has_the_five_values():
    from wrapp.datastructures.patch import PatchOperationType

    expected = {name: name for name in ("add_tag", "copy", "create_folder", "delete", "delete_tag")}
    assert {member.name: member.value for member in PatchOperationType} == expected


def test_other_documented_enum_members():
    assert {m.name for m in wrapp.ProgressReportVerbosity} >= {"off", "normal", "verbose"}
    assert wrapp.LsOutputFormat.normal  # the default of ls(output_format=...)
    from wrapp.utils.progress_report import ProgressReportStatus

    assert isinstance(ProgressReportStatus.Running.value, str)  # example_complex prints job.status().value
    for cls in (wrapp.LsResultItemType, wrapp.LsOutputFormat, wrapp.ProgressReportStatus):
        assert issubclass(cls, enum.Enum)


# --- pydantic models and their fields ----------------------------------------------------------------

REQUIRED = object()  # the reference lists the field without a default
UNSTATED = object()  # the reference lists the field in prose, without saying whether it has a default

MODEL_FIELDS: Dict[str, Dict[str, Any]] = {
    "wrapp.Catalog": {"items": REQUIRED, "root": REQUIRED, "storage_map": None},
    "wrapp.CatalogItem": {"hash": None, "relative_path": REQUIRED, "size": None, "source_path": REQUIRED},
    # catalog: Appendix B ("PackageInfo (name, version, catalog, dependencies)").
    "wrapp.PackageInfo": {"dependencies": None, "name": "", "repository": None, "source": None, "version": "",
                          "catalog": UNSTATED},
    "wrapp.Dependency": {"package": REQUIRED, "relative_destination": REQUIRED, "repository": REQUIRED,
                         "version": REQUIRED},
    "wrapp.DependencySet": {},
    "wrapp.LsResultItem": {"hash": None, "item_type": REQUIRED, "relative_path": REQUIRED, "size": None,
                           "source_path": REQUIRED},
    "wrapp.datastructures.catalog.StorageMap": {"storage_map": REQUIRED},
    "wrapp.datastructures.catalog.Tag": {},
    "wrapp.InstalledPackage": {"name": UNSTATED, "version": UNSTATED, "wrapp_file_url": UNSTATED,
                               "install_location": UNSTATED, "repository": UNSTATED, "package": UNSTATED},
    "wrapp.datastructures.workspace_analysis.PackageStatusItem": {
        "package_name": UNSTATED, "absolute_wrapp_file_path": UNSTATED, "status_message": UNSTATED,
        "status_item_type": UNSTATED},
    "wrapp.CheckResult": {},
    "wrapp.UniquePackageLocation": {},
    "wrapp.datastructures.patch.PatchOpBase": {"operation_type": UNSTATED},
    "wrapp.datastructures.patch.PatchOpCopy": {"dst": REQUIRED, "hash": None, "item_type": REQUIRED,
                                               "src": REQUIRED, "operation_type": UNSTATED},
    "wrapp.datastructures.patch.PatchOpDelete": {"url": REQUIRED, "operation_type": UNSTATED},
    "wrapp.datastructures.patch.PatchOpCreateFolder": {"operation_type": UNSTATED},
}

MODEL_DIFFERENCES: Dict[str, str] = {}

# Fields the reference lists as required that ours default, on purpose: a default only widens what
# constructing the model accepts (every call written for the reference still works), and these are
# what the file format reads for a missing value. Each is checked to default to exactly this value.
WIDER_DEFAULTS: Dict[Tuple[str, str], Any] = {
    # A dependency without repository is installed from its parent's repository; without
    # relative_destination, into the parent's folder (docs/formats.md, dependencies).
    ("wrapp.Dependency", "repository"): "",
    ("wrapp.Dependency", "relative_destination"): "",
    # Deprecated in the reference ("WRAPP only copies files"): nobody should have to name it.
    ("wrapp.datastructures.patch.PatchOpCopy", "item_type"): ItemType.file,
}


@pytest.mark.parametrize("path", [case(p, p, MODEL_DIFFERENCES) for p in MODEL_FIELDS])
def test_pydantic_model_fields(path: str):
    model = _resolve(path)
    assert issubclass(model, BaseModel), f"{path} is not a pydantic model"
    problems = []
    for name, default in MODEL_FIELDS[path].items():
        field = model.model_fields.get(name)
        if field is None:
            problems.append(f"field '{name}' is missing")
        elif (path, name) in WIDER_DEFAULTS:
            if field.is_required() or field.get_default() != WIDER_DEFAULTS[(path, name)]:
                problems.append(f"'{name}' should default to {WIDER_DEFAULTS[(path, name)]!r} (WIDER_DEFAULTS)")
        elif default is REQUIRED and not field.is_required():
            problems.append(f"'{name}' has a default; the reference lists it required")
        elif default not in (REQUIRED, UNSTATED) and (field.is_required() or field.get_default() != default):
            problems.append(f"'{name}' should default to {default!r}")
    assert problems == []


def test_installed_package_num_items_is_a_property():
    assert isinstance(inspect.getattr_static(wrapp.InstalledPackage, "num_items"), property)


def test_command_parameters_and_scheduling_attributes():
    """spec §3.2 and the API page list these as attributes with their defaults."""
    params = CommandParameters()
    assert (params.debug, params.verbose, params.dry_run, params.log_file, params.hash_cache_file) == (
        False, False, False, None, None)
    scheduling = wrapp.SchedulingParameters()
    assert (scheduling.jobs, scheduling.tagging_jobs, scheduling.file_transfer_jobs, scheduling.job_name,
            scheduling.progress_report_callback, scheduling.progress_report_interval) == (
        200, 50, 10, None, None, None)
    assert scheduling.progress_report == ProgressReportVerbosity.off


# --- docstrings and py.typed -------------------------------------------------------------------------

DOCUMENTED_MODULES = [
    "wrapp", "wrapp.api", "wrapp.auth", "wrapp.commands", "wrapp.commands.cat", "wrapp.commands.count",
    "wrapp.datastructures", "wrapp.datastructures.authentication", "wrapp.datastructures.catalog",
    "wrapp.datastructures.command_context", "wrapp.datastructures.ls", "wrapp.datastructures.package",
    "wrapp.datastructures.patch", "wrapp.datastructures.repository", "wrapp.datastructures.workspace_analysis",
    "wrapp.scheduling", "wrapp.utils.ignore", "wrapp.utils.nucleus_hash", "wrapp.utils.progress_report",
    "wrapp.utils.storage_interface", "wrapp.utils.utils", "wrapp.options",
]


def _public_names(module) -> List[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, v in vars(module).items()
                 if not n.startswith("_") and getattr(v, "__module__", "").startswith("wrapp")]
    return list(names)


def _own_doc(obj: Any) -> str:
    return (vars(obj).get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)) or ""


def _missing_docstrings(module_name: str) -> List[str]:
    module = importlib.import_module(module_name)
    missing = []
    for name in _public_names(module):
        obj = getattr(module, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj)):
            continue  # type aliases (IgnorePredicate), constants
        if not _own_doc(obj).strip():
            missing.append(name)
        if not inspect.isclass(obj) or not obj.__module__.startswith("wrapp"):
            continue
        for attr, raw in vars(obj).items():
            if attr.startswith("_") or isinstance(raw, enum.Enum):
                continue
            function = raw.__func__ if isinstance(raw, (classmethod, staticmethod)) else raw
            function = function.fget if isinstance(function, property) else function
            if not inspect.isfunction(function) or not function.__module__.startswith("wrapp"):
                continue  # pydantic's generated members
            if not (function.__doc__ or "").strip():
                missing.append(f"{name}.{attr}")
    return missing


DOCSTRING_DIFFERENCES: Dict[str, str] = {}


@pytest.mark.parametrize("module_name", [case(m, m, DOCSTRING_DIFFERENCES) for m in DOCUMENTED_MODULES])
def test_every_public_callable_has_a_docstring(module_name: str):
    assert _missing_docstrings(module_name) == []


def test_py_typed_ships():
    package_dir = Path(wrapp.__file__).parent
    assert (package_dir / "py.typed").is_file()
    # The wheel carries the whole package folder (pyproject: wheel.packages = ["python/wrapp"]).
    pyproject = package_dir.parent.parent / "pyproject.toml"
    if pyproject.is_file():
        assert 'wheel.packages = ["python/wrapp"]' in pyproject.read_text()
    else:  # an installed wrapp: its distribution lists the marker
        files = importlib.metadata.files("wrapp") or []
        assert "wrapp/py.typed" in {str(f).replace(os.sep, "/") for f in files}
