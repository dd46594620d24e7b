#include "commands/package_file_argument.h"

#include <algorithm>
#include <vector>

#include "commands/repository.h"
#include "commands/tree.h"
#include "util/error.h"

namespace wrapp::commands {

namespace {

// How many names an error lists before "and N more".
constexpr size_t kNamesShown = 10;

}  // namespace

storage::Url package_file_argument(CommandContext& ctx, const std::string& text) {
  storage::Url url = parse_location(text);
  // Named like a package file: taken as one without asking the store (on an
  // object store that question is a request of its own).
  if (is_wrapp_file_name(url.name())) return url;
  auto& store = ctx.store(url);
  auto info = store.stat(url);
  if (!info || !info->is_dir) return url;

  std::vector<std::string> hidden, visible;
  storage::ListOptions options;
  options.recursive = false;
  store.list(url, options, [&](std::vector<storage::ListEntry>&& page) {
    for (auto& entry : page) {
      if (!entry.info.is_file() || !is_wrapp_file_name(entry.relative_path)) continue;
      (entry.relative_path.starts_with(".") ? hidden : visible).push_back(std::move(entry.relative_path));
    }
  });
  std::vector<std::string>& names = hidden.empty() ? visible : hidden;
  std::sort(names.begin(), names.end());
  if (names.size() == 1) return url.join(names.front());
  if (names.empty()) {
    fail_with(ErrorCode::kNotFound, "'{}' is a folder with no package file in it (.<package>.wrapp)", url.display());
  }
  std::string listed;
  for (size_t i = 0; i < std::min(names.size(), kNamesShown); ++i) listed += (i ? ", " : "") + names[i];
  if (names.size() > kNamesShown) listed += fmt::format(" and {} more", names.size() - kNamesShown);
  fail_with(ErrorCode::kBadInput, "'{}' holds {} package files ({}): name one of them, e.g. '{}'", url.display(),
            names.size(), listed, url.join(names.front()).display());
}

}  // namespace wrapp::commands
