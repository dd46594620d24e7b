// A sorted listing of a tree of any size, without a second copy of it.
//
// Storage::list delivers entries in pages (a disk: one per folder). Moving
// every page into one sorted vector holds the whole listing twice while it
// is gathered: at a million files, 144 MB more at the peak of a status.
// A Listing keeps the pages as they came and sorts an index of pointers
// over them (8 bytes per entry), so the pages are the only copy.
#pragma once

#include <compare>
#include <cstddef>
#include <iterator>
#include <vector>

#include "storage/storage.h"

namespace wrapp::storage {

class Listing {
 public:
  // Random access over the entries in path order (an iterator over the
  // index that dereferences twice), so std::lower_bound and friends work.
  template <bool kConst>
  class Iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using iterator_concept = std::random_access_iterator_tag;
    using value_type = ListEntry;
    using difference_type = std::ptrdiff_t;
    using pointer = std::conditional_t<kConst, const ListEntry*, ListEntry*>;
    using reference = std::conditional_t<kConst, const ListEntry&, ListEntry&>;

    Iterator() = default;
    explicit Iterator(ListEntry* const* at) : at_(at) {}
    operator Iterator<true>() const { return Iterator<true>(at_); }  // NOLINT: iterator to const_iterator

    reference operator*() const { return **at_; }
    pointer operator->() const { return *at_; }
    reference operator[](difference_type n) const { return *at_[n]; }
    Iterator& operator++() { ++at_; return *this; }
    Iterator operator++(int) { Iterator old = *this; ++at_; return old; }
    Iterator& operator--() { --at_; return *this; }
    Iterator operator--(int) { Iterator old = *this; --at_; return old; }
    Iterator& operator+=(difference_type n) { at_ += n; return *this; }
    Iterator& operator-=(difference_type n) { at_ -= n; return *this; }
    friend Iterator operator+(Iterator it, difference_type n) { return it += n; }
    friend Iterator operator+(difference_type n, Iterator it) { return it += n; }
    friend Iterator operator-(Iterator it, difference_type n) { return it -= n; }
    friend difference_type operator-(const Iterator& a, const Iterator& b) { return a.at_ - b.at_; }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.at_ == b.at_; }
    friend auto operator<=>(const Iterator& a, const Iterator& b) { return a.at_ <=> b.at_; }

   private:
    ListEntry* const* at_ = nullptr;
  };
  using iterator = Iterator<false>;
  using const_iterator = Iterator<true>;

  Listing() = default;
  // The pages as Storage::list delivered them; sorts the index by path.
  explicit Listing(std::vector<std::vector<ListEntry>> pages);
  // One page of entries in any order (a listing made by hand).
  explicit Listing(std::vector<ListEntry> entries);
  // Moves keep the pages' buffers, so the index stays valid.
  Listing(Listing&&) noexcept = default;
  Listing& operator=(Listing&&) noexcept = default;
  Listing(const Listing&) = delete;
  Listing& operator=(const Listing&) = delete;

  size_t size() const { return order_.size(); }
  bool empty() const { return order_.empty(); }
  ListEntry& operator[](size_t i) { return *order_[i]; }
  const ListEntry& operator[](size_t i) const { return *order_[i]; }
  iterator begin() { return iterator(order_.data()); }
  iterator end() { return iterator(order_.data() + order_.size()); }
  const_iterator begin() const { return const_iterator(order_.data()); }
  const_iterator end() const { return const_iterator(order_.data() + order_.size()); }

  // Leaves out the entries `drop` selects; the order of the rest stays.
  // Their memory is kept until the Listing goes (a few ignored files).
  template <class Predicate>
  void erase_if(Predicate drop) {
    std::erase_if(order_, [&](const ListEntry* e) { return drop(*e); });
  }

 private:
  void sort_index();

  std::vector<std::vector<ListEntry>> pages_;
  std::vector<ListEntry*> order_;  // into pages_, sorted by relative_path
};

// Every entry below `url` (Storage::list), sorted by path, in the pages it
// was listed in: for trees of any size. list_all gives the same entries as
// one vector, for the small listings whose callers keep a vector.
Listing list_sorted(Storage& storage, const Url& url, const ListOptions& options);

}  // namespace wrapp::storage
