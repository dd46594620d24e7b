#include "commands/traceback.h"

#include <optional>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "commands/package_file_argument.h"
#include "commands/repository.h"
#include "model/package_info.h"
#include "util/error.h"

namespace wrapp::commands {

using storage::Url;
using Kind = TracebackStep::Kind;

namespace {

// R when `file` is <R>/.packages/<name>/<version>/(.<name>.wrapp | <name>.wrapp).
std::optional<Url> repository_holding(const Url& file, const model::PackageInfo& info) {
  std::string base = file.name();
  if (base != model::wrapp_file_name(info.name) && base != legacy_wrapp_file_name(info.name)) return std::nullopt;
  Url version = file.parent();
  Url package = version.parent();
  Url packages = package.parent();
  if (version.name() != info.version || package.name() != info.name || packages.name() != ".packages") {
    return std::nullopt;
  }
  return packages.parent();
}

// A pointer's URL; nullopt when it is absent or empty.
std::optional<Url> pointer(const std::optional<std::string>& value) {
  if (!value || value->empty()) return std::nullopt;
  return parse_location(*value);
}

class Tracer {
 public:
  explicit Tracer(CommandContext& ctx) : ctx_(ctx) {}

  TracebackResult run(const Url& file, model::PackageInfo info) {
    std::optional<Next> next = Next{file, std::move(info)};
    while (next) next = visit(next->file, next->info);
    return std::move(result_);
  }

 private:
  struct Next {
    Url file;
    model::PackageInfo info;
  };

  void add(Kind kind, const Url& url, const model::PackageInfo* info = nullptr) {
    check_package_depth(result_.steps.size(), url);
    result_.steps.push_back({kind, url.str(), info ? info->name : "", info ? info->version : ""});
  }

  // Classifies one package file; the file its pointer leads to, if any.
  std::optional<Next> visit(const Url& file, const model::PackageInfo& info) {
    if (!visited_.insert(file.str()).second) {
      add(Kind::kCircular, file, &info);
      return std::nullopt;
    }
    std::optional<Url> repository = pointer(info.repository);
    if (auto holder = repository_holding(file, info)) {
      if (!repository || *repository == *holder) {
        add(Kind::kPrimaryRepository, file, &info);
        return follow_source(info);
      }
      add(Kind::kMirrorRepository, file, &info);
      return follow_repository(*repository, info);
    }
    if (repository) {
      add(Kind::kInstalled, file, &info);
      return follow_repository(*repository, info);
    }
    if (pointer(info.source)) {
      add(Kind::kSourceWithoutRepository, file, &info);
      return follow_source(info);
    }
    add(Kind::kPrimarySource, file, &info);
    return std::nullopt;
  }

  std::optional<Next> follow_repository(const Url& repo, const model::PackageInfo& info) {
    if (auto found = find_repo_package(ctx_, repo, info.name, info.version)) {
      return Next{found->url, std::move(found->info)};
    }
    add(Kind::kMissingInRepository, repo_marker_url(repo, info.name, info.version));
    return std::nullopt;
  }

  std::optional<Next> follow_source(const model::PackageInfo& info) {
    std::optional<Url> source = pointer(info.source);
    if (!source) return std::nullopt;  // a metapackage: no folder it was made from
    auto stat = ctx_.store(*source).stat(*source);
    if (!stat) {
      add(Kind::kMissingSource, source->join(model::wrapp_file_name(info.name)));
      return std::nullopt;
    }
    if (!stat->is_dir) {
      // A source that is a package file itself; any other file (the
      // catalog of `create --catalog`) is where it began.
      if (source->name().ends_with(".wrapp")) {
        if (auto read = read_package_info(ctx_, *source)) return Next{*source, std::move(*read)};
      }
      add(Kind::kPrimarySourceFolder, *source);
      return std::nullopt;
    }
    for (const std::string& name : {model::wrapp_file_name(info.name), legacy_wrapp_file_name(info.name)}) {
      Url file = source->join(name);
      if (auto read = read_package_info(ctx_, file)) return Next{file, std::move(*read)};
    }
    add(Kind::kPrimarySourceFolder, *source);
    return std::nullopt;
  }

  CommandContext& ctx_;
  std::unordered_set<std::string> visited_;
  TracebackResult result_;
};

}  // namespace

TracebackResult traceback(CommandContext& ctx, const TracebackOptions& opt) {
  Url file = package_file_argument(ctx, opt.wrapp_file);
  auto info = require_package_info(ctx, file, "package file");
  return Tracer(ctx).run(file, std::move(info));
}

const char* traceback_kind_name(Kind kind) {
  switch (kind) {
    case Kind::kInstalled: return "installed";
    case Kind::kPrimaryRepository: return "primary_repository";
    case Kind::kMirrorRepository: return "mirror_repository";
    case Kind::kPrimarySource: return "primary_source";
    case Kind::kPrimarySourceFolder: return "primary_source_folder";
    case Kind::kSourceWithoutRepository: return "source_without_repository";
    case Kind::kMissingInRepository: return "missing_in_repository";
    case Kind::kMissingSource: return "missing_source";
    case Kind::kCircular: return "circular";
  }
  return "?";
}

std::string traceback_line(const TracebackStep& step) {
  std::string f = Url::parse(step.url).display();
  switch (step.kind) {
    case Kind::kInstalled: return fmt::format("Intermediate source installed at {}.", f);
    case Kind::kPrimaryRepository: return fmt::format("Primary repository at {}.", f);
    case Kind::kMirrorRepository: return fmt::format("Mirror repository at {}.", f);
    case Kind::kPrimarySource: return fmt::format("Primary source at {}.", f);
    case Kind::kPrimarySourceFolder: return fmt::format("Primary source folder (no package file) {}.", f);
    case Kind::kSourceWithoutRepository: return fmt::format("Source without repository pointer at {}.", f);
    case Kind::kMissingInRepository: return fmt::format("Could not find wrapp file in repository at {}.", f);
    case Kind::kMissingSource: return fmt::format("Source package missing: Could not find wrapp file at {}.", f);
    case Kind::kCircular: return fmt::format("Circular reference detected: {} has already been visited.", f);
  }
  return f;
}

nlohmann::json to_json(const TracebackResult& r) {
  using nlohmann::json;
  json tree;  // built from the last step up: each step holds the next
  for (auto it = r.steps.rbegin(); it != r.steps.rend(); ++it) {
    json node = {{"kind", traceback_kind_name(it->kind)},
                 {"message", traceback_line(*it)},
                 {"url", it->url},
                 {"name", it->name.empty() ? json(nullptr) : json(it->name)},
                 {"version", it->name.empty() ? json(nullptr) : json(it->version)},
                 {"children", json::array()}};
    if (!tree.is_null()) node["children"].push_back(std::move(tree));
    tree = std::move(node);
  }
  return tree;
}

}  // namespace wrapp::commands
