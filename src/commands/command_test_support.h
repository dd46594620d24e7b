// Test helper (not part of the library): fixtures shared by the command
// tests (commands_test.cc, commands_safety_test.cc), which call the command
// functions directly on every backend, so that the commands are proven on a
// store without POSIX (the in-memory object store) as on a disk.
//
// Every test gets a fresh temporary folder (local), and two fresh in-memory
// stores, mem://<main>/t and mem://<aux>/t, with pages of 3 entries so that
// every listing crosses page boundaries, and a fault hook the test controls.
// A parameterised test runs on "local" or "memory": root() is then the
// temporary folder or mem://<main>/t. Each command runs in a Session of its
// own: a Scheduler, a Resolver and a CommandContext, as the CLI builds them.
#pragma once

#include <stdlib.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "commands/check.h"
#include "commands/context.h"
#include "commands/create.h"
#include "commands/install.h"
#include "commands/list_repo.h"
#include "commands/mirror.h"
#include "commands/plan.h"
#include "commands/repository.h"
#include "commands/status.h"
#include "commands/uninstall.h"
#include "exec/scheduler.h"
#include "storage/memory/memory_storage.h"
#include "storage/storage.h"
#include "util/error.h"
#include "util/test_data.h"

namespace wrapp::commands::cmdtest {

namespace fs = std::filesystem;
using storage::Url;
using Files = std::map<std::string, std::string>;  // relative path -> content

inline const std::string kPkg = "pkg";

// Version 1 of the package: nested folders, an empty file, a binary file of
// several chunks of a read buffer.
inline const Files& v1_files() {
  static const Files files{{"a.txt", "alpha 1\n"},       {"b.bin", wrapp::testing::pattern(100000, 7)},
                           {"dir/c.txt", "charlie\n"},   {"dir/sub/d.txt", "delta\n"},
                           {"e.txt", ""},                {"keep.txt", "kept\n"}};
  return files;
}

// Version 2: a.txt changed, dir/c.txt dropped, new/f.txt and z.txt added,
// the rest kept. Updating 1 -> 2 copies 3 files, deletes 1 and keeps 4.
inline const Files& v2_files() {
  static const Files files = [] {
    Files f = v1_files();
    f["a.txt"] = "alpha 2, longer\n";
    f.erase("dir/c.txt");
    f["new/f.txt"] = "foxtrot\n";
    f["z.txt"] = "zulu\n";
    return f;
  }();
  return files;
}

struct SessionOptions {
  bool dry_run = false;
  // 1 makes a command copy its files one after another, in path order: a
  // failure injected at one file then leaves exactly the files before it.
  size_t transfers = 4;
};

// One command's world, built as the CLI builds it.
struct Session {
  explicit Session(SessionOptions options = {})
      : scheduler(exec::SchedulerOptions{.jobs = 8, .file_transfer_jobs = options.transfers, .cpu_threads = 2}),
        ctx{scheduler, resolver} {
    ctx.dry_run = options.dry_run;
  }
  exec::Scheduler scheduler;
  storage::Resolver resolver;
  CommandContext ctx;
};

// The fault hook of the in-memory stores: what the test set last.
class Faults {
 public:
  using Hook = std::function<void(const std::string& op, const std::string& key)>;
  void set(Hook hook) {
    std::lock_guard lock(mu_);
    hook_ = std::move(hook);
  }
  void operator()(const std::string& op, const std::string& key) {
    Hook hook;
    {
      std::lock_guard lock(mu_);
      hook = hook_;
    }
    if (hook) hook(op, key);
  }

 private:
  std::mutex mu_;
  Hook hook_;
};

// Runs `action`, which must throw FailedCommand, and returns the error.
template <typename Action>
FailedCommand failure_of(Action&& action) {
  try {
    action();
  } catch (const FailedCommand& e) {
    return e;
  }
  ADD_FAILURE() << "no FailedCommand was thrown";
  return FailedCommand("no error");
}

inline std::string code_of(const Error& e) { return error_code_name(e.code()); }

// A plan's paths by action ("copy", "delete", "keep", "reuse"), sorted.
inline std::map<std::string, std::vector<std::string>> actions_of(const Plan& plan) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& a : plan.actions) out[kind_name(a.kind)].push_back(a.relative_path);
  for (auto& [kind, paths] : out) std::sort(paths.begin(), paths.end());
  return out;
}

class CommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "wrapp-commands-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    static std::atomic<int> counter{0};
    std::string n = std::to_string(++counter);
    main_name_ = "commands" + n;
    aux_name_ = "commands-aux" + n;
    storage::MemoryStorage::Options options;
    options.page_size = 3;
    options.fault = [faults = faults_](const std::string& op, const std::string& key) { (*faults)(op, key); };
    storage::register_memory_store(main_name_, options);
    storage::register_memory_store(aux_name_, options);
  }
  void TearDown() override {
    faults_->set(nullptr);
    storage::unregister_memory_store(main_name_);
    storage::unregister_memory_store(aux_name_);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  Url local(const std::string& rel = "") const {
    Url root = Url::from_local_path(dir_);
    return rel.empty() ? root : root.join(rel);
  }
  Url mem(const std::string& rel = "") const { return under(Url::parse("mem://" + main_name_ + "/t"), rel); }
  Url aux(const std::string& rel = "") const { return under(Url::parse("mem://" + aux_name_ + "/t"), rel); }
  static Url under(const Url& root, const std::string& rel) { return rel.empty() ? root : root.join(rel); }
  storage::Storage& store(const Url& url) { return resolver_.for_url(url); }

  // -- files ---------------------------------------------------------------

  void put(const Url& url, const std::string& content) {
    storage::WriteOptions options;
    options.overwrite = true;
    storage::write_all(store(url), url, content, options);
  }
  void put_tree(const Url& root, const Files& files) {
    for (const auto& [rel, content] : files) put(root.join(rel), content);
  }
  bool exists(const Url& url) { return store(url).stat(url).has_value(); }
  std::string get(const Url& url) { return storage::read_all(store(url), url).value_or("<absent>"); }

  // Every entry below `root` (folders and links too), with size, mtime, etag
  // and content: two equal snapshots mean nothing was written, replaced or
  // deleted in between. Without times, only what is there and what it
  // holds (a lock object taken and released changes its folder's mtime).
  std::map<std::string, std::string> snapshot(const Url& root, bool with_times = true) {
    storage::ListOptions options;
    options.include_dirs = true;
    options.symlinks = storage::SymlinkPolicy::kReportLinks;
    std::map<std::string, std::string> out;
    for (const auto& e : storage::list_all(store(root), root, options)) {
      const auto& i = e.info;
      std::string content = i.is_file() ? get(root.join(e.relative_path)) : "";
      out[e.relative_path] = fmt::format("dir={} link={} size={} [{}]", i.is_dir, i.is_link, i.size, content);
      // (A disk's listing has no etag: its inode and ctime say the same.)
      if (with_times) {
        out[e.relative_path] += fmt::format(" mtime={} etag={} inode={} ctime={}", i.mtime_ns, i.etag, i.inode, i.ctime_ns);
      }
    }
    return out;
  }

  // The files below `root` and their content, wrapp's own files (package
  // files, install locks) left out.
  Files contents(const Url& root) {
    storage::ListOptions options;
    options.symlinks = storage::SymlinkPolicy::kReportLinks;
    Files out;
    for (const auto& e : storage::list_all(store(root), root, options)) {
      std::string name = e.relative_path.substr(e.relative_path.rfind('/') + 1);
      if (name.ends_with(".wrapp") || name == ".wrapp-install.lock") continue;
      out[e.relative_path] = get(root.join(e.relative_path));
    }
    return out;
  }

  // -- faults --------------------------------------------------------------

  // From now on, `op` on `url` in an in-memory store throws StorageError.
  void fail_on(const std::string& op, const Url& url) {
    faults_->set([op, key = url.str()](const std::string& o, const std::string& k) {
      if (o == op && k == key) throw StorageError("injected failure: " + o + " '" + k + "'");
    });
  }
  // Makes the copy of one file fail: its commit (or its server-side copy,
  // within one store) when the destination is an in-memory store, else the
  // read of its source (which must be one).
  void fail_copy(const Url& from, const Url& to) {
    if (to.scheme() == "mem") {
      faults_->set([key = to.str()](const std::string& o, const std::string& k) {
        if ((o == "commit" || o == "copy") && k == key) throw StorageError("injected failure: " + o + " '" + k + "'");
      });
      return;
    }
    ASSERT_EQ(from.scheme(), "mem") << "no way to inject a failure between two local files";
    fail_on("open_read", from);
  }
  // The first `n` calls of `op` on `url` wait for each other (5 s at most)
  // before they go on: writers racing for one object all get there. Returns
  // how many arrived.
  std::shared_ptr<std::atomic<int>> rendezvous(const std::string& op, const Url& url, int n) {
    auto arrived = std::make_shared<std::atomic<int>>(0);
    faults_->set([=, key = url.str()](const std::string& o, const std::string& k) {
      if (o != op || k != key || arrived->load() >= n) return;
      ++*arrived;
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (arrived->load() < n && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    });
    return arrived;
  }
  void clear_faults() { faults_->set(nullptr); }

  // -- commands, each in a session of its own --------------------------------

  // Creates `name` `version` in `repo` from `src`, which holds `files`
  // besides whatever is already there (installed subpackages).
  CreateResult create_package(const std::string& name, const std::string& version, const Url& src, const Url& repo,
                              const Files& files = {}, const std::function<void(CreateOptions&)>& tweak = {},
                              SessionOptions so = {}) {
    put_tree(src, files);
    Session s(so);
    CreateOptions o;
    o.package_name = name;
    o.version = version;
    o.source = src.str();
    o.repo = repo.str();
    if (tweak) tweak(o);
    return create(s.ctx, o);
  }
  InstallResult install_package(const std::string& name, const std::string& version, const Url& dest,
                                const Url& repo, const std::function<void(InstallOptions&)>& tweak = {},
                                SessionOptions so = {}) {
    Session s(so);
    InstallOptions o;
    o.package_name = name;
    o.version = version;
    o.destination = dest.str();
    o.repo = repo.str();
    if (tweak) tweak(o);
    return install(s.ctx, o);
  }
  UninstallResult uninstall_package(const std::string& name, const Url& location, bool force,
                                    SessionOptions so = {}) {
    Session s(so);
    UninstallOptions o;
    o.package_name = name;
    o.install_location = location.str();
    o.force = force;
    return uninstall(s.ctx, o);
  }
  CreateResult create_pkg(const Url& src, const Url& repo, const std::string& version, SessionOptions so = {}) {
    return create_package(kPkg, version, src, repo, {}, {}, so);
  }
  // Both versions of the package, from sources below `sources`, into `repo`.
  void publish_both(const Url& sources, const Url& repo) {
    put_tree(sources.join("src1"), v1_files());
    put_tree(sources.join("src2"), v2_files());
    create_pkg(sources.join("src1"), repo, "1");
    create_pkg(sources.join("src2"), repo, "2");
  }
  InstallResult install_pkg(const Url& repo, const Url& dest, const std::string& version, SessionOptions so = {}) {
    return install_package(kPkg, version, dest, repo, {}, so);
  }
  UninstallResult uninstall_pkg(const Url& dest, bool force, SessionOptions so = {}) {
    return uninstall_package(kPkg, dest, force, so);
  }
  MirrorResult mirror_pkg(const Url& from, const Url& to, const std::string& version, bool resume = false,
                          SessionOptions so = {}) {
    Session s(so);
    MirrorOptions o;
    o.package_name = kPkg;
    o.version = version;
    o.source_repo = from.str();
    o.destination_repo = to.str();
    o.resume = resume;
    return mirror(s.ctx, o);
  }
  std::vector<RepoPackage> packages_in(const Url& repo) {
    Session s;
    return repo_packages(s.ctx, repo);
  }
  // One line per finding ("item_differs a.txt", "package_missing lib"),
  // package_modified left out (the other lines say what), and the install
  // state: empty when the installed package tree is clean.
  std::vector<std::string> status_lines(const Url& dest) {
    Session s;
    StatusOptions o;
    o.wrapp_file = marker(dest).str();
    auto result = status(s.ctx, o);
    std::vector<std::string> out;
    for (const auto& p : result.packages) {
      for (const auto& i : p.items) {
        if (i.type == StatusItemType::kPackageModified) continue;
        out.push_back(std::string(status_item_type_name(i.type)) + " " +
                      (i.relative_path.empty() ? i.package_name : i.relative_path));
      }
    }
    if (!result.install_state.empty()) out.push_back(result.install_state);
    return out;
  }
  // check of one version: relative path -> status name ("ok", "stray"...).
  std::map<std::string, std::string> check_report(const Url& repo, const std::string& version) {
    Session s;
    CheckOptions o;
    o.wrapp_file = repo_marker_url(repo, kPkg, version).str();
    std::map<std::string, std::string> out;
    for (const auto& r : check_package_content(s.ctx, o).files) out[r.relative_path] = check_status_name(r.status);
    return out;
  }
  // What check_report says of a version that holds `files` intact.
  static std::map<std::string, std::string> all_ok(const Files& files) {
    std::map<std::string, std::string> out;
    for (const auto& [rel, content] : files) out[rel] = "ok";
    return out;
  }
  static Url marker(const Url& dest) { return dest.join(model::wrapp_file_name(kPkg)); }
  static Url version_folder(const Url& repo, const std::string& version) { return version_url(repo, kPkg, version); }
  // The version the install marker in `dest` names ("" when there is none).
  std::string installed_version(const Url& dest) {
    Session s;
    auto info = read_package_info(s.ctx, marker(dest));
    return info ? info->version : "";
  }

  std::string dir_;
  std::string main_name_;
  std::string aux_name_;
  std::shared_ptr<Faults> faults_ = std::make_shared<Faults>();
  storage::Resolver resolver_;  // meets the stores on first use, after SetUp registered them
};

// The same tests on the local file system and on the in-memory object store.
class BackendTest : public CommandTest, public ::testing::WithParamInterface<std::string> {
 protected:
  bool on_memory() const { return GetParam() == "memory"; }
  // The backend under test: a fresh folder, or a prefix of a fresh store.
  Url root(const std::string& rel = "") const { return on_memory() ? mem(rel) : local(rel); }
  // Where a source that faults can be injected into lives: the backend
  // under test when it is the in-memory store, else another in-memory store.
  Url faulty(const std::string& rel = "") const { return on_memory() ? mem(rel) : aux(rel); }
};

inline std::string backend_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

}  // namespace wrapp::commands::cmdtest
