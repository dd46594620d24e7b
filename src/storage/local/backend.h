// The local file system backend (file:// URLs and bare paths).
//
// Every call resolves its URL beneath the URL's anchor at the moment it
// runs (storage/local/resolve.h): writes, removes, links, folder creation
// and stat never follow a symbolic link beneath the anchor; reads and
// listings follow only links that stay beneath it. Writers publish
// atomically from O_TMPFILE files (storage/local/writer.h); listings are a
// parallel walk of directory descriptors (storage/local/walker.h).
#pragma once

#include <sys/stat.h>

#include <functional>

#include "storage/local/resolve.h"
#include "storage/storage.h"

namespace wrapp::storage {

class LocalStorage : public Storage {
 public:
  // `check_cancelled` (may be empty) runs between the folders of a listing
  // and throws to stop it. `method` forces the component walk instead of
  // openat2 (tests run every contract both ways). `run_workers` (may be
  // empty) runs a walk's workers on the command's threads
  // (Resolver::Options::run_workers).
  using RunWorkers = std::function<void(size_t workers, const std::function<void()>& work)>;
  explicit LocalStorage(std::function<void()> check_cancelled = {},
                        local::Method method = local::Method::kAuto, RunWorkers run_workers = {});

  Features features() const override;
  std::string name() const override { return "local file system"; }
  std::optional<FileInfo> stat(const Url& url) override;
  void list(const Url& url, const ListOptions& options, const ListPage& on_page) override;
  std::unique_ptr<Reader> open_read(const Url& url) override;
  std::unique_ptr<Document> read_document(const Url& url) override;
  std::unique_ptr<Writer> open_write(const Url& url, const WriteOptions& options) override;
  std::unique_ptr<Folder> open_folder(const Url& url, bool for_write) override;
  bool remove(const Url& url, const RemoveOptions& options = {}) override;
  bool remove_folder(const Url& url) override;
  void copy(const Url& from, const Url& to, const WriteOptions& options) override;
  bool link(const Url& from, const Url& to, LinkMode mode, const WriteOptions& options) override;
  std::vector<std::optional<FileInfo>> link_batch(const Url& from_folder, const Url& to_folder,
                                                  const std::vector<LinkName>& names, LinkMode mode,
                                                  const WriteOptions& options) override;
  void sync(const Url& root) override;
  void prepare_folders(const Url& root, const std::vector<std::string>& folders) override;

 private:
  // The regular file at `url` opened for reading (links followed only
  // beneath the anchor), with its fstat in `st`; invalid when absent.
  local::Fd open_regular(const Url& url, struct ::stat* st) const;
  // The lstat of `name` in the folder `dir`, checked to be something a hard
  // link may share: a regular file, never a symbolic link (else a later
  // write to `to_display` would land where the link points). A `dir` of -1
  // (the folder is absent) fails as an absent file does.
  static struct ::stat hard_link_source(int dir, const std::string& name, const std::string& display,
                                        const std::string& to_display);

  std::function<void()> check_cancelled_;
  RunWorkers run_workers_;
  local::PathResolver paths_;
};

}  // namespace wrapp::storage
