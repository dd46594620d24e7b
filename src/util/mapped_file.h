// A local file mapped read-only, for parsing big JSON documents (catalogs,
// .wrapp files, the hash cache) without a heap copy of their text. Pages
// already parsed can be handed back, so a parse touches at most a window of
// the file at a time instead of its whole size.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace wrapp::util {

class MappedFile {
 public:
  // nullopt when the file does not exist; FailedCommand for a folder or a
  // name too long for the file system; StorageError on other failures.
  static std::optional<MappedFile> open(const std::string& path);

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  ~MappedFile();

  std::string_view data() const { return {static_cast<const char*>(base_), size_}; }
  // The pages wholly before `offset` are not needed any more.
  void release_before(size_t offset);
  // A new pass over the text starts (pages fault back in as it reads).
  void restart() { released_ = 0; }

 private:
  MappedFile(void* base, size_t size) : base_(base), size_(size) {}
  void* base_ = nullptr;
  size_t size_ = 0;
  size_t released_ = 0;
};

}  // namespace wrapp::util
