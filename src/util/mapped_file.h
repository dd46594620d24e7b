// A local file mapped read-only, for parsing big JSON documents (catalogs,
// .wrapp files, the hash cache) without a heap copy of their text. Pages
// already parsed can be handed back, so a parse touches at most a window of
// the file at a time instead of its whole size.
//
// A mapping is only as stable as the file under it: if another program
// truncates the file in place while it is mapped, touching the pages past
// the new end raises SIGBUS. wrapp itself only ever replaces these files by
// rename (the mapping keeps the old inode), so the risk is limited to other
// programs writing into them in place.
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
  // Maps the file open at `fd` (which stays the caller's; the mapping keeps
  // the file after it is closed). `name_for_messages` names it in errors.
  // FailedCommand for a folder or anything else that is not a regular file;
  // StorageError on other failures.
  static MappedFile open_fd(int fd, const std::string& name_for_messages);

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
