#include "commands/folder_batches.h"

#include <algorithm>
#include <string_view>

#include "commands/tree.h"

namespace wrapp::commands {

using storage::Url;

namespace {

std::string_view folder_of(const Url& url) {
  const std::string& path = url.path();
  return std::string_view(path).substr(0, path.rfind('/'));
}

}  // namespace

bool in_one_folder(const Url& a, const Url& b) {
  std::string_view folder = folder_of(a);
  return folder == folder_of(b) && std::min(a.anchor_size(), folder.size()) == std::min(b.anchor_size(), folder.size()) &&
         a.scheme() == b.scheme() && a.authority() == b.authority();
}

std::vector<size_t> spread_by_folder(const std::vector<char>& same_folder_as_previous) {
  std::vector<size_t> rank(same_folder_as_previous.size(), 0);
  for (size_t r = 1; r < rank.size(); ++r) {
    if (same_folder_as_previous[r]) rank[r] = rank[r - 1] + 1;
  }
  std::vector<size_t> order(rank.size());
  for (size_t r = 0; r < order.size(); ++r) order[r] = r;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rank[a] < rank[b]; });
  return order;
}

std::vector<WorkRun> FolderBatches::work_runs() const {
  std::vector<WorkRun> runs;
  std::vector<char> same_folder;
  for (size_t i = 0; i < group_of_.size(); ++i) {
    if (i > 0 && group_of_[i] == group_of_[i - 1]) {
      runs.back().end = i + 1;
      continue;
    }
    bool same = false;
    if (uint32_t g = group_of_[i]; g != kNoGroup && i > 0 && group_of_[i - 1] != kNoGroup) {
      same = in_one_folder(groups_[group_of_[i - 1]]->to_first, groups_[g]->to_first);
    }
    runs.push_back({i, i + 1});
    same_folder.push_back(same);
  }
  std::vector<WorkRun> ordered;
  ordered.reserve(runs.size());
  for (size_t r : spread_by_folder(same_folder)) ordered.push_back(runs[r]);
  return ordered;
}

FolderBatches::FolderBatches(CommandContext& ctx, size_t n, const std::function<const Url&(size_t)>& from,
                             const Url& to_root, const std::function<std::string_view(size_t)>& to_path)
    : ctx_(ctx), group_of_(n, kNoGroup) {
  bool to_folders = ctx.store(to_root).features().real_folders;
  size_t first = 0;             // the current group's first copy
  uint32_t current = kNoGroup;  // the group copy i - 1 joined
  for (size_t i = 0; i < n; ++i) {
    const Url& f = from(i);
    bool from_folders = ctx.store(f).features().real_folders;
    if (!from_folders && !to_folders) {
      current = kNoGroup;
      continue;
    }
    std::string_view to_dir = parent_dir(to_path(i));
    bool joins = current != kNoGroup && groups_[current]->left < kFolderBatch && in_one_folder(from(first), f) &&
                 parent_dir(to_path(first)) == to_dir;
    if (!joins) {
      auto group = std::make_unique<Group>();
      group->from_first = f;
      group->to_first = to_root.join(to_path(i));
      group->from_folders = from_folders;
      group->to_folders = to_folders;
      groups_.push_back(std::move(group));
      current = static_cast<uint32_t>(groups_.size() - 1);
      first = i;
    }
    group_of_[i] = current;
    ++groups_[current]->left;
  }
}

FolderBatches::Use::Use(FolderBatches& batches, size_t i) {
  uint32_t g = batches.group_of_[i];
  if (g == kNoGroup) return;
  batches_ = &batches;
  group_ = g;
}

void FolderBatches::Use::apply(CopyRequest& request) {
  if (!batches_) return;
  Group& group = *batches_->groups_[group_];
  std::lock_guard lock(group.mu);
  if (!group.opened) {
    // The target's folder first: a missing one is made, as a write would.
    std::unique_ptr<storage::Folder> to, from;
    if (group.to_folders) {
      Url dir = group.to_first.parent();
      to = batches_->ctx_.store(dir).open_folder(dir, true);
    }
    if (group.from_folders) {
      Url dir = group.from_first.parent();
      from = batches_->ctx_.store(dir).open_folder(dir, false);
    }
    group.to = std::move(to);
    group.from = std::move(from);
    group.opened = true;
  }
  // Only a request within the group's folders gets them (a caller that
  // changed its source, a retry from elsewhere, works by URL): a name
  // opened in another folder would be another file. The source's folder is
  // null when it is missing: "not found" by URL.
  request.from_folder = group.from && in_one_folder(request.from, group.from_first) ? group.from.get() : nullptr;
  request.to_folder = group.to && in_one_folder(request.to, group.to_first) ? group.to.get() : nullptr;
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
