#include "commands/folder_batches.h"

#include <algorithm>
#include <string_view>

namespace wrapp::commands {

using storage::Url;

namespace {

std::string_view folder_of(const Url& url) {
  const std::string& path = url.path();
  return std::string_view(path).substr(0, path.rfind('/'));
}

// Whether two URLs lie in one folder resolved beneath the same anchor: the
// anchor decides which links a resolution may follow (a folder's Url,
// Url::parent, keeps at most the folder as its anchor).
bool same_folder(const Url& a, const Url& b) {
  std::string_view folder = folder_of(a);
  return folder == folder_of(b) && std::min(a.anchor_size(), folder.size()) == std::min(b.anchor_size(), folder.size()) &&
         a.scheme() == b.scheme() && a.authority() == b.authority();
}

}  // namespace

FolderBatches::FolderBatches(CommandContext& ctx, size_t n, const std::function<const Url&(size_t)>& from,
                             const std::function<const Url&(size_t)>& to)
    : ctx_(ctx), group_of_(n, kNoGroup) {
  size_t first = 0;             // the current group's first copy
  uint32_t current = kNoGroup;  // the group copy i - 1 joined
  for (size_t i = 0; i < n; ++i) {
    const Url& f = from(i);
    const Url& t = to(i);
    auto& store = ctx.store(t);
    if (&ctx.store(f) != &store || !store.features().real_folders) {
      current = kNoGroup;
      continue;
    }
    bool joins = current != kNoGroup && groups_[current]->left < kFolderBatch && same_folder(from(first), f) &&
                 same_folder(to(first), t);
    if (!joins) {
      auto group = std::make_unique<Group>();
      group->from_dir = f.parent();
      group->to_dir = t.parent();
      groups_.push_back(std::move(group));
      current = static_cast<uint32_t>(groups_.size() - 1);
      first = i;
    }
    group_of_[i] = current;
    ++groups_[current]->left;
  }
}

FolderBatches::Use::Use(FolderBatches& batches, size_t i, CopyRequest& request) {
  uint32_t g = batches.group_of_[i];
  if (g == kNoGroup) return;
  Group& group = *batches.groups_[g];
  std::lock_guard lock(group.mu);
  if (!group.opened) {
    auto& store = batches.ctx_.store(group.to_dir);
    // The target's folder first: a missing one is made, as a write would.
    auto to = store.open_folder(group.to_dir, true);
    auto from = store.open_folder(group.from_dir, false);
    group.to = std::move(to);
    group.from = std::move(from);
    group.opened = true;
  }
  request.from_folder = group.from.get();  // null when the source's folder is missing: "not found" by URL
  request.to_folder = group.to.get();
  batches_ = &batches;
  group_ = g;
}

FolderBatches::Use::~Use() {
  if (!batches_) return;
  Group& group = *batches_->groups_[group_];
  std::lock_guard lock(group.mu);
  if (--group.left > 0) return;
  group.from.reset();
  group.to.reset();
}

}  // namespace wrapp::commands
