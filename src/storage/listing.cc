#include "storage/listing.h"

#include <algorithm>

namespace wrapp::storage {

Listing::Listing(std::vector<std::vector<ListEntry>> pages) : pages_(std::move(pages)) {
  size_t total = 0;
  for (const auto& page : pages_) total += page.size();
  order_.reserve(total);
  for (auto& page : pages_) {
    for (auto& e : page) order_.push_back(&e);
  }
  sort_index();
}

Listing::Listing(std::vector<ListEntry> entries) {
  pages_.push_back(std::move(entries));
  order_.reserve(pages_.front().size());
  for (auto& e : pages_.front()) order_.push_back(&e);
  sort_index();
}

void Listing::sort_index() {
  std::sort(order_.begin(), order_.end(),
            [](const ListEntry* a, const ListEntry* b) { return a->relative_path < b->relative_path; });
}

Listing list_sorted(Storage& storage, const Url& url, const ListOptions& options) {
  std::vector<std::vector<ListEntry>> pages;
  storage.list(url, options, [&](std::vector<ListEntry>&& page) {
    if (!page.empty()) pages.push_back(std::move(page));
  });
  return Listing(std::move(pages));
}

}  // namespace wrapp::storage
