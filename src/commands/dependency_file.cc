#include "commands/dependency_file.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "commands/repository.h"
#include "util/error.h"
#include "util/log.h"

namespace wrapp::commands {

using storage::Url;

namespace {

struct Versioned {
  model::PackageInfo info;
  std::string etag;  // of the very version parsed ("" where the store has none)
};

Versioned read_versioned(CommandContext& ctx, const Url& file) {
  auto& store = ctx.store(file);
  auto reader = store.open_read(file);
  if (!reader) fail_with(ErrorCode::kNotFound, "dependency file '{}' not found", file.display());
  Versioned out;
  out.etag = reader->info().etag;
  std::string text(reader->size(), '\0');
  size_t got = 0;
  while (got < text.size()) {
    size_t n = reader->read_at(got, text.data() + got, text.size() - got);
    if (n == 0) break;
    got += n;
  }
  text.resize(got);
  out.info = model::PackageInfo::parse(text, file.display());
  return out;
}

}  // namespace

model::PackageInfo rewrite_package_file(CommandContext& ctx, const Url& file,
                                        const std::function<bool(model::PackageInfo&)>& change) {
  for (int attempt = 1;; ++attempt) {
    Versioned current = read_versioned(ctx, file);
    if (!change(current.info)) return std::move(current.info);
    storage::WriteOptions options;
    options.durable = ctx.durable;
    if (current.etag.empty()) {
      // No etags on this store: nothing to compare and swap with.
      log::debug("'{}' has no etag; rewriting it without a concurrency check", file.display());
      options.overwrite = true;
    } else {
      options.if_match = current.etag;
    }
    try {
      write_json(ctx, file, options, [&](JsonWriter& w) { current.info.write(w); });
      return std::move(current.info);
    } catch (const FailedCommand& e) {
      if (e.code() != ErrorCode::kPreconditionFailed) throw;
      if (attempt >= kMaxRewriteAttempts) {
        fail_with(ErrorCode::kPreconditionFailed,
                  "'{}' was replaced by another writer {} times while it was being rewritten; try again",
                  file.display(), attempt);
      }
      log::debug("'{}' changed since it was read; reading it again", file.display());
      // A little later, at a random moment: writers that met once do not
      // meet again in lockstep.
      thread_local std::minstd_rand jitter{std::random_device{}()};
      std::this_thread::sleep_for(std::chrono::microseconds(jitter() % (1000u * attempt)));
    }
  }
}

std::string relative_destination_in(const Url& file, const Url& destination) {
  std::string rel;
  if (!destination.relative_to(file.parent(), &rel)) {
    fail_with(ErrorCode::kBadInput,
              "destination '{}' is not inside '{}', the folder of dependency file '{}': a dependency is installed "
              "below the package that records it",
              destination.display(), file.parent().display(), file.display());
  }
  return rel;
}

void check_can_record(const model::PackageInfo& info, const Url& file, const model::Dependency& dep) {
  if (info.name == dep.package && dep.relative_destination.empty()) {
    fail_with(ErrorCode::kBadInput, "'{}' is package '{}' itself, installed in its own folder: it cannot record "
              "itself as its dependency", file.display(), dep.package);
  }
  for (const auto& d : info.dependencies) {
    if (d.package != dep.package || d.relative_destination == dep.relative_destination) continue;
    fail_with(ErrorCode::kBadInput,
              "'{}' already records package '{}' at '{}'; a dependency file records a package once: install it "
              "there, or uninstall it through '{}' first",
              file.display(), dep.package, d.relative_destination.empty() ? "." : d.relative_destination,
              file.display());
  }
}

bool record_dependency(CommandContext& ctx, const Url& file, const model::Dependency& dep) {
  bool changed = false;
  rewrite_package_file(ctx, file, [&](model::PackageInfo& info) {
    check_can_record(info, file, dep);  // again: another writer may have recorded it meanwhile
    auto it = std::find_if(info.dependencies.begin(), info.dependencies.end(), [&](const model::Dependency& d) {
      return d.package == dep.package && d.relative_destination == dep.relative_destination;
    });
    if (it == info.dependencies.end()) {
      info.dependencies.push_back(dep);
    } else if (*it != dep) {
      *it = dep;
    } else {
      return changed = false;
    }
    return changed = true;
  });
  return changed;
}

bool remove_dependency(CommandContext& ctx, const Url& file, const std::string& package,
                       const std::string& relative_destination) {
  bool removed = false;
  rewrite_package_file(ctx, file, [&](model::PackageInfo& info) {
    auto it = std::find_if(info.dependencies.begin(), info.dependencies.end(), [&](const model::Dependency& d) {
      return d.package == package && d.relative_destination == relative_destination;
    });
    removed = it != info.dependencies.end();
    if (removed) info.dependencies.erase(it);
    return removed;
  });
  return removed;
}

}  // namespace wrapp::commands
