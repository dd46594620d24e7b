#include "commands/catalog_tree.h"

#include <algorithm>
#include <deque>
#include <queue>
#include <utility>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "commands/file_ops.h"
#include "commands/tree.h"
#include "commands/walk_work.h"

namespace wrapp::commands {
namespace {

using storage::Url;

// Gives the memory of freed blocks back to the system, so the pages freed
// while the catalog is gathered make room for it instead of being kept by
// malloc next to it.
void release_free_memory() {
#if defined(__GLIBC__)
  ::malloc_trim(0);
#endif
}

class TreeHasher {
 public:
  TreeHasher(CommandContext& ctx, const Url& root, exec::ProgressJob* progress)
      : ctx_(ctx), root_(root), progress_(progress), work_(ctx, ctx.store(root), progress) {}

  // Walks `root`, hashes every file, refuses the names noted, then gathers
  // the items, sorted by path.
  model::Catalog run(const model::IgnoreEvaluator& ignores) {
    work_.walk(root_, ignores, storage::SymlinkPolicy::kRefuseOutside,
               [this](std::vector<storage::ListEntry>&& page) { take(std::move(page)); });
    names_.throw_if_any();
    model::Catalog catalog;
    catalog.root = root_.str();
    gather_sorted(catalog.items);
    return catalog;
  }

 private:
  struct Job {
    model::CatalogItem* item;
    storage::FileInfo info;
  };
  // A task hashes up to this many files, or bytes: many small files share
  // one, and every big file has its own, so they are hashed side by side.
  static constexpr size_t kChunkFiles = 256;
  static constexpr uint64_t kChunkBytes = 8ull << 20;
  // Pages freed between two returns of free memory to the system.
  static constexpr size_t kPagesPerRelease = 64;

  // One page of the walk; called from one thread at a time. Its entries
  // become items (the paths move) and their stats go with the hashing
  // tasks; the page itself is dropped by the caller.
  void take(std::vector<storage::ListEntry>&& page) {
    for (const auto& e : page) names_.check(e.relative_path);
    if (names_.any()) return;  // the command fails after the walk: hashing more is wasted
    uint64_t bytes = 0;
    for (const auto& e : page) bytes += e.info.size;
    if (progress_) progress_->add_total(page.size(), bytes);  // before any of it is counted done
    auto& items = pages_.emplace_back(page.size());
    std::vector<Job> chunk;
    uint64_t chunk_bytes = 0;
    for (size_t k = 0; k < page.size(); ++k) {
      items[k].relative_path = std::move(page[k].relative_path);
      items[k].size = page[k].info.size;
      chunk_bytes += page[k].info.size;
      chunk.push_back({&items[k], std::move(page[k].info)});
      if (chunk.size() == kChunkFiles || chunk_bytes >= kChunkBytes) {
        dispatch(std::exchange(chunk, {}));
        chunk_bytes = 0;
      }
    }
    if (!chunk.empty()) dispatch(std::move(chunk));
  }

  void dispatch(std::vector<Job> chunk) {
    work_.run(std::move(chunk), [this](const Job& job) {
      job.item->hash = hash_object(ctx_, root_.join(job.item->relative_path), job.info, progress_);
    });
  }

  // Each page sorted, then merged into `out`. A page is freed as soon as
  // its last item has moved, so the pages and the catalog are not both
  // held whole (a million items are 104 MB).
  void gather_sorted(std::vector<model::CatalogItem>& out) {
    size_t total = 0;
    for (auto& page : pages_) {
      std::sort(page.begin(), page.end(), by_path);
      total += page.size();
    }
    out.reserve(total);
    struct Head {
      size_t page;
      size_t next;  // the page's next item
    };
    auto later = [this](const Head& a, const Head& b) {
      return pages_[b.page][b.next].relative_path < pages_[a.page][a.next].relative_path;
    };
    std::priority_queue<Head, std::vector<Head>, decltype(later)> heads(later);
    for (size_t p = 0; p < pages_.size(); ++p) {
      if (!pages_[p].empty()) heads.push({p, 0});
    }
    size_t freed = 0;
    while (!heads.empty()) {
      Head h = heads.top();
      heads.pop();
      auto& page = pages_[h.page];
      out.push_back(std::move(page[h.next]));
      if (++h.next < page.size()) {
        heads.push(h);
        continue;
      }
      std::vector<model::CatalogItem>().swap(page);
      if (++freed % kPagesPerRelease == 0) release_free_memory();
    }
    pages_.clear();
    release_free_memory();
  }

  static bool by_path(const model::CatalogItem& a, const model::CatalogItem& b) {
    return a.relative_path < b.relative_path;
  }

  CommandContext& ctx_;
  Url root_;
  exec::ProgressJob* progress_;
  UnpackableNames names_;
  // The items, in the pages the walk delivered them in (a deque: adding a
  // page moves none of the others, which tasks are writing hashes into).
  std::deque<std::vector<model::CatalogItem>> pages_;
  // Last: destroyed first, so no task outlives what it uses.
  WalkWork work_;
};

}  // namespace

model::Catalog catalog_tree(CommandContext& ctx, const Url& root, const model::IgnoreEvaluator& ignores,
                            exec::ProgressJob* progress) {
  return TreeHasher(ctx, root, progress).run(ignores);
}

}  // namespace wrapp::commands
