#include "commands/listed_tree.h"

#include "util/error.h"
#include "util/gallop.h"

namespace wrapp::commands {

ListedTree::ListedTree(CommandContext& ctx, const storage::Url& root, const std::set<std::string>& dirs,
                       size_t lookups)
    : store_(ctx.store(root)), root_(root) {
  if (!store_.features().real_folders || lookups < kMinLookupsToList) return;
  auto top = store_.stat(root_);
  // An absent root (a fresh install's destination) holds nothing: every
  // path below it is absent, as a stat would say, without asking.
  root_absent_ = !top;
  if (!top || !top->is_dir) return;  // a root that is a link or a file: every path is stat'ed
  storage::ListOptions options;
  options.symlinks = storage::SymlinkPolicy::kReportLinks;
  options.include_dirs = true;
  options.include_other = true;
  // Called from the walker's threads: `dirs` is only read.
  options.descend = [&dirs](const std::string& dir) { return dirs.count(dir) > 0; };
  try {
    entries_ = storage::list_sorted(store_, root_, options);
  } catch (const Cancelled&) {
    throw;
  } catch (const Error&) {
    // A folder that can be searched but not read (mode --x for this user)
    // cannot be listed, while its files can still be stat'ed by name: they
    // are, one by one, as without a listing.
    entries_ = storage::Listing();
    return;
  }
  // A folder was read whole when it is a real folder (the walk descends
  // into no link) that was asked for, below one that was.
  listed_.insert("");
  for (const auto& e : entries_) {
    if (e.info.is_dir && !e.info.is_link && dirs.count(e.relative_path)) listed_.insert(e.relative_path);
  }
}

void ListedTree::add_folders_of(std::set<std::string>& into, const std::string& path) {
  // From the deepest: a folder already in holds its parents too.
  for (size_t slash = path.rfind('/'); slash != std::string::npos && slash > 0; slash = path.rfind('/', slash - 1)) {
    if (!into.insert(path.substr(0, slash)).second) break;
  }
}

const storage::ListEntry* ListedTree::find(std::string_view path) const {
  // Callers look up the paths of a catalog, each worker in ascending order:
  // the search starts from this thread's last answer in this tree. (A hint
  // left by another tree only costs comparisons: any hint is correct.)
  thread_local const ListedTree* hinted = nullptr;
  thread_local size_t hint = 0;
  size_t n = entries_.size();
  auto begin = entries_.begin();
  size_t at = util::gallop_lower_bound(n, hinted == this ? hint : n,
                                       [&](size_t i) { return begin[i].relative_path < path; });
  hinted = this;
  hint = at;
  return at < n && begin[at].relative_path == path ? &begin[at] : nullptr;
}

std::optional<storage::FileInfo> ListedTree::stat(const std::string& path) const {
  if (root_absent_) return std::nullopt;
  if (!listed_.empty()) {  // a listing was made
    if (const auto* entry = find(path)) return entry->info;
    // Absent from the listing: absent when the deepest folder on its way
    // that was read whole does not hold the next name on the way either (a
    // folder the install has not made yet). A name that is there but was
    // not read (a link, a file, a folder not asked for) leaves the answer
    // to the store.
    std::string_view below = path;
    for (size_t slash = path.rfind('/');; slash = path.rfind('/', slash - 1)) {
      std::string_view folder =
          slash == std::string::npos ? std::string_view() : std::string_view(path).substr(0, slash);
      if (listed_.count(std::string(folder))) {
        if (below == path || !find(below)) return std::nullopt;
        break;
      }
      if (slash == std::string::npos || slash == 0) break;
      below = folder;
    }
  }
  return store_.stat(root_.join(path));
}

}  // namespace wrapp::commands
