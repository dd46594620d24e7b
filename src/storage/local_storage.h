// The local file system backend (file:// URLs and bare paths).
#pragma once

#include "storage/storage.h"

namespace wrapp::storage {

class LocalStorage : public Storage {
 public:
  Features features() const override;
  std::string name() const override { return "local file system"; }
  std::optional<FileInfo> stat(const Url& url) override;
  void list(const Url& url, const ListOptions& options, const ListPage& on_page) override;
  std::unique_ptr<Reader> open_read(const Url& url) override;
  std::unique_ptr<Document> read_document(const Url& url) override;
  std::unique_ptr<Writer> open_write(const Url& url, const WriteOptions& options) override;
  bool remove(const Url& url, const RemoveOptions& options = {}) override;
  bool remove_folder(const Url& url) override;
  void copy(const Url& from, const Url& to, const WriteOptions& options) override;
  bool link(const Url& from, const Url& to, LinkMode mode, const WriteOptions& options) override;
  void sync(const Url& root) override;
  void prepare_folders(const Url& root, const std::vector<std::string>& folders) override;
};

// Creates `dir` and its missing parents (mkdir -p). Throws StorageError.
void make_directories(const std::string& dir);

// True when the deepest existing folder on the way to `path` resolves
// (following symbolic links) to `root` or below it: writing `path` cannot
// land outside `root`. Catalog paths are already free of "..", so only a
// symbolic link inside `root` could lead out.
bool stays_inside(const std::string& path, const std::string& root);

}  // namespace wrapp::storage
