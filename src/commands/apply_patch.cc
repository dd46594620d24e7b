#include "commands/apply_patch.h"

#include <map>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>

#include "commands/file_ops.h"
#include "commands/install_lock.h"
#include "commands/patch_file.h"
#include "commands/repository.h"
#include "commands/tree.h"
#include "util/log.h"
#include "util/paths.h"

namespace wrapp::commands {

using model::PatchOperation;
using model::PatchOperationType;
using storage::Url;

namespace {

// An operation, checked: where it writes (beneath the target's anchor)
// and, for a copy, where it reads.
struct Checked {
  std::string relative_path;  // beneath the target
  Url url;
  Url src;
};

// Step 2: every problem of every operation, or the checked operations.
std::vector<Checked> check_operations(CommandContext& ctx, const model::Patch& patch, const Url& target,
                                      const std::string& origin) {
  std::vector<Checked> checked(patch.operations.size());
  std::vector<std::string> problems;
  std::map<std::string, size_t> changed;  // relative path -> first operation changing it (copy, delete)
  std::set<std::string> copied;
  for (size_t i = 0; i < patch.operations.size(); ++i) {
    const PatchOperation& op = patch.operations[i];
    auto problem = [&](const std::string& what) {
      problems.push_back(fmt::format("operation {} ({} '{}'): {}", i + 1, model::operation_type_name(op.type),
                                     shorten_for_message(op.url, 256), shorten_for_message(what, 512)));
    };
    Checked& c = checked[i];
    try {
      c.url = Url::parse(op.url);
    } catch (const FailedCommand& e) {
      problem(e.what());
      continue;
    }
    if (!c.url.relative_to(target, &c.relative_path) || c.relative_path.empty()) {
      problem("not beneath the patch's target '" + shorten_for_message(target.display(), 256) + "'");
      continue;
    }
    if (std::string_view why = relative_path_problem(c.relative_path); !why.empty()) {
      problem(fmt::format("an unsafe path beneath the target ({})", why));
      continue;
    }
    if (is_wrapp_work_file(base_name(c.relative_path))) {
      problem("one of wrapp's own working files");
      continue;
    }
    c.url = target.join(c.relative_path);  // anchored at the target: writes never leave it
    if (op.type == PatchOperationType::kCopy) {
      try {
        c.src = Url::parse(op.src);
        ctx.store(c.src);  // a scheme no backend serves fails now, not half-way
      } catch (const FailedCommand& e) {
        problem(fmt::format("source '{}': {}", shorten_for_message(op.src, 256), e.what()));
        continue;
      }
      copied.insert(c.relative_path);
    }
    if (op.type == PatchOperationType::kCopy || op.type == PatchOperationType::kDelete) {
      auto [it, first] = changed.emplace(c.relative_path, i);
      if (!first) problem(fmt::format("operation {} changes '{}' too", it->second + 1, c.relative_path));
    }
  }
  // Files cannot be folders of other files.
  for (const auto& path : copied) {
    for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      if (copied.count(path.substr(0, slash))) {
        problems.push_back(fmt::format("'{}' is copied as a file and '{}' into it as a folder",
                                       path.substr(0, slash), path));
      }
    }
  }
  // Symbolic links on the way: every folder written into or deleted from.
  if (problems.empty()) {
    std::set<std::string> folders;
    for (const auto& c : checked) {
      size_t slash = c.relative_path.rfind('/');
      if (slash != std::string::npos) folders.insert(c.relative_path.substr(0, slash));
    }
    for (const auto& folder : folders) {
      if (behind_link(ctx, target.join(folder))) {
        problems.push_back(fmt::format("'{}': a symbolic link lies on the way (writes never follow one)", folder));
      }
    }
  }
  if (!problems.empty()) {
    std::string message = fmt::format("refusing patch file '{}': {} problem(s); nothing was changed:", origin,
                                      problems.size());
    // The first ones in the message (a hostile patch may have a million);
    // the payload has them all.
    constexpr size_t kShown = 50;
    for (size_t i = 0; i < problems.size() && i < kShown; ++i) message += "\n  " + problems[i];
    if (problems.size() > kShown) message += fmt::format("\n  ... and {} more", problems.size() - kShown);
    throw FailedCommand(message, ErrorCode::kBadInput, std::move(problems));
  }
  return checked;
}

// Deletes that must run before the copies: a file where a copy needs a
// folder, or files inside a folder that a copy replaces by a file.
bool clears_the_way(const std::string& deleted, const std::set<std::string>& copied) {
  for (size_t slash = deleted.find('/'); slash != std::string::npos; slash = deleted.find('/', slash + 1)) {
    if (copied.count(deleted.substr(0, slash))) return true;
  }
  std::string folder = deleted + "/";
  auto below = copied.lower_bound(folder);
  return below != copied.end() && below->starts_with(folder);
}

// The order of execution: each phase's operations, by index.
std::vector<std::vector<size_t>> execution_phases(const model::Patch& patch, const std::vector<Checked>& checked) {
  std::set<std::string> copied;
  for (size_t i = 0; i < patch.operations.size(); ++i) {
    if (patch.operations[i].type == PatchOperationType::kCopy) copied.insert(checked[i].relative_path);
  }
  std::vector<std::vector<size_t>> phases(4);  // clearing deletes, other, add_tag, deletes
  for (size_t i = 0; i < patch.operations.size(); ++i) {
    auto type = patch.operations[i].type;
    if (type == PatchOperationType::kDelete && clears_the_way(checked[i].relative_path, copied)) {
      phases[0].push_back(i);
    } else {
      phases[1 + model::execution_phase(type)].push_back(i);
    }
  }
  return phases;
}

class Executor {
 public:
  // `position`: each operation's place in the order of execution.
  Executor(CommandContext& ctx, const model::Patch& patch, const std::vector<Checked>& checked,
           std::vector<size_t> position, const Url& target)
      : ctx_(ctx), patch_(patch), checked_(checked), position_(std::move(position)), target_(target),
        progress_(ctx.scheduler.sub_job("apply-patch " + target.display(), "patching")) {
    uint64_t bytes = 0;
    for (const auto& op : patch.operations) bytes += op.size.value_or(0);
    progress_.add_total(patch.operations.size(), bytes);
  }

  // Runs one phase: its tag operations, copies, then deletes (a phase holds
  // either copies or deletes), and removes the folders the deletes emptied.
  void run(const std::vector<size_t>& ops) {
    std::vector<size_t> copies, deletes, others;
    for (size_t i : ops) {
      auto type = patch_.operations[i].type;
      (type == PatchOperationType::kCopy ? copies : type == PatchOperationType::kDelete ? deletes : others).push_back(i);
    }
    for (size_t i : others) attempt(i, [&] { tag(i); });
    for_each_transfer(ctx_, copies.size(), [&](size_t n) { attempt(copies[n], [&] { copy(copies[n]); }); },
                      &ctx_.store(target_));
    std::vector<std::string> deleted(deletes.size());
    for_each_request(ctx_, deletes.size(), [&](size_t n) {
      attempt(deletes[n], [&] {
        remove(deletes[n]);
        deleted[n] = checked_[deletes[n]].relative_path;
      });
    }, &ctx_.store(target_));
    std::erase(deleted, std::string());
    remove_emptied_folders(ctx_, target_, deleted);
  }

  void finish(ApplyPatchResult& result) {
    progress_.set_finished();
    result.applied = applied_;
    std::sort(failed_.begin(), failed_.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    for (auto& [order, f] : failed_) result.failed.push_back(std::move(f));
  }

 private:
  // Runs `fn` for operation i; a failure is recorded for it, never thrown
  // (except cancellation).
  template <typename Fn>
  void attempt(size_t i, Fn&& fn) {
    FailedOperation failure;
    try {
      fn();
      progress_.add_done(1, 0);
      std::lock_guard lock(mu_);
      ++applied_;
      return;
    } catch (const Cancelled&) {
      throw;
    } catch (const Error& e) {
      failure = {patch_.operations[i], e.what(), e.code(), e.exit_code()};
    } catch (const std::exception& e) {
      failure = {patch_.operations[i], e.what(), ErrorCode::kIo, 2};
    }
    // The caller reports the failures (the CLI on stdout, with a summary).
    log::debug("failed: {}: {}", describe(patch_.operations[i]), shorten_for_message(failure.message));
    progress_.add_done(1, 0);
    std::lock_guard lock(mu_);
    failed_.emplace_back(position_[i], std::move(failure));
  }

  void copy(size_t i) {
    const PatchOperation& op = patch_.operations[i];
    const Checked& c = checked_[i];
    CopyRequest req;
    req.from = c.src;
    req.to = c.url;
    if (op.size) {
      req.size = *op.size;
    } else {
      auto info = ctx_.store(c.src).stat(c.src);
      if (!info || !info->is_file()) fail_with(ErrorCode::kNotFound, "'{}' not found", c.src.display());
      req.size = info->size;
    }
    // Streamed and verified while the bytes pass (unless the hash cache
    // vouches for an unchanged source); a mismatch writes nothing.
    req.expected_hash = op.hash;
    req.need_hash = !op.hash.empty();
    req.trust_hash_cache = true;  // a working tree, not a repository version
    req.owner_writable = true;
    req.write.overwrite = true;  // published atomically over what is there
    copy_object(ctx_, req, &progress_);
  }

  void remove(size_t i) {
    const Url& url = checked_[i].url;
    auto& store = ctx_.store(url);
    auto info = store.stat(url);
    if (!info) {
      log::debug("{}: already absent", url.display());
      return;
    }
    if (info->is_dir) fail("'{}' is a folder; a patch deletes files only", url.display());
    store.remove(url);
  }

  void tag(size_t i) {
    const Url& url = checked_[i].url;
    fail("cannot {} '{}': the {} holds no tags (tags are a Nucleus feature; no store of this wrapp has them)",
         patch_.operations[i].type == PatchOperationType::kAddTag ? "add a tag to" : "delete a tag of",
         url.display(), ctx_.store(url).name());
  }

  CommandContext& ctx_;
  const model::Patch& patch_;
  const std::vector<Checked>& checked_;
  std::vector<size_t> position_;
  Url target_;
  exec::ProgressJob& progress_;
  std::mutex mu_;
  size_t applied_ = 0;
  std::vector<std::pair<size_t, FailedOperation>> failed_;
};

}  // namespace

int ApplyPatchResult::exit_code() const {
  int code = 0;
  for (const auto& f : failed) code = std::max(code, f.exit_code);
  return code;
}

ApplyPatchResult apply_patch(CommandContext& ctx, const ApplyPatchOptions& opt) {
  Url file = parse_location(opt.patch);
  ApplyPatchResult result;
  result.patch_file = file.str();
  result.dry_run = ctx.dry_run;
  model::Patch patch =
      opt.patch_text ? model::Patch::parse(*opt.patch_text, file.display()) : read_patch_file(ctx, file);
  Url target = parse_location(patch.target);
  if (auto info = ctx.store(target).stat(target); info && !info->is_dir) {
    fail_with(ErrorCode::kBadInput, "the target of patch file '{}', '{}', is a file", file.display(),
              target.display());
  }
  auto checked = check_operations(ctx, patch, target, file.display());
  auto phases = execution_phases(patch, checked);

  // The result lists the operations in the order they run.
  result.patch.target = patch.target;
  result.patch.conflicts = patch.conflicts;
  std::vector<size_t> position(patch.operations.size());
  for (const auto& phase : phases) {
    for (size_t i : phase) {
      position[i] = result.patch.operations.size();
      result.patch.operations.push_back(patch.operations[i]);
    }
  }
  if (size_t open = patch.unresolved_conflicts()) {
    log::warn("{}: {} conflicting path(s) are left as they are in '{}' (the patch has no operation for them)",
              file.display(), open, target.display());
  }
  if (ctx.dry_run) return result;

  std::optional<InstallIntent> interrupted;
  auto lock = take_install_lock(ctx, target, "apply-patch " + file.display(), &interrupted);
  if (interrupted) {
    lock->abandon();  // the install's intent stays for the install that finishes it
    fail("an install into '{}' was interrupted and is not finished; run it again (or uninstall) before applying a "
         "patch there",
         target.display());
  }
  Executor executor(ctx, patch, checked, std::move(position), target);
  for (const auto& phase : phases) executor.run(phase);
  executor.finish(result);
  if (lock) {
    lock->check();
    lock->release();
  }
  return result;
}

nlohmann::json to_json(const ApplyPatchResult& result) {
  nlohmann::json patch = to_json(result.patch);
  nlohmann::json failed = nlohmann::json::array();
  model::Patch one;
  one.target = result.patch.target;
  for (const auto& f : result.failed) {
    one.operations = {f.operation};
    failed.push_back({{"operation", to_json(one)["operations"][0]},
                      {"message", f.message},
                      {"code", error_code_name(f.code)}});
  }
  return {{"patch_file", result.patch_file},
          {"target", result.patch.target},
          {"dry_run", result.dry_run},
          {"applied", result.applied},
          {"failed", std::move(failed)},
          {"operations", std::move(patch["operations"])},
          {"conflicts", std::move(patch["conflicts"])}};
}

}  // namespace wrapp::commands
