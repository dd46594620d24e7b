#include "storage/flat_listing.h"

namespace wrapp::storage {

FileInfo prefix_folder_info() {
  FileInfo info;
  info.is_dir = true;
  return info;
}

void FlatListing::add_file(const std::string& relative, FileInfo info, std::vector<ListEntry>& page) {
  if (!pruned_.empty() && relative.starts_with(pruned_)) return;
  size_t depth = 0;
  for (size_t slash = relative.find('/'); slash != std::string::npos; slash = relative.find('/', slash + 1), ++depth) {
    std::string dir = relative.substr(0, slash);
    if (depth < open_folders_.size() && open_folders_[depth] == dir) continue;
    open_folders_.resize(depth);
    open_folders_.push_back(dir);
    if (options_.include_dirs) page.push_back({dir, prefix_folder_info()});
    if (options_.descend && !options_.descend(dir)) {
      pruned_ = dir + "/";
      return;
    }
  }
  if (relative.empty() || relative.back() == '/') return;
  open_folders_.resize(depth);
  page.push_back({relative, std::move(info)});
}

void FlatListing::add_folder(const std::string& relative_with_slash, std::vector<ListEntry>& page) const {
  if (!options_.include_dirs || relative_with_slash.size() <= 1) return;
  page.push_back({relative_with_slash.substr(0, relative_with_slash.size() - 1), prefix_folder_info()});
}

}  // namespace wrapp::storage
