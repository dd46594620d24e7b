// Writing and publishing local files (docs/design.md, "The local backend").
//
// A new object is written into an O_TMPFILE file of the target's folder: it
// has no name, so a killed process leaves nothing behind and nothing
// half-written can ever be seen. commit() gives it its name:
//   - create-only: linkat("/proc/self/fd/N", AT_SYMLINK_FOLLOW) to the
//     target, which fails with EEXIST when something is there;
//   - overwrite: linkat to the name when it is free; otherwise to
//     `.wrapp-partial-<pid>-<n>-<name>`, exchanged with the target
//     (RENAME_EXCHANGE, renameat where unsupported), then the old file is
//     removed from that name (the only moment a temporary name exists);
//   - if_match: the same, after checking the current etag.
// Conditional publishes (create-only and if_match) run under flock(LOCK_EX)
// of the folder, so that "check, then publish" is atomic against every
// other wrapp process and thread. Where O_TMPFILE is unsupported, the bytes
// go to a named temporary file instead (removed on failure, but left behind
// by a killed process). in_place writes go straight to the final name.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>

#include "storage/local/resolve.h"
#include "storage/storage.h"

namespace wrapp::storage::local {

// The permission bits of a written file: the source's mode (0644 when
// unknown), at most 0777, without write bits when read_only. So the owner's
// executable bit is kept and no one gets more access than the source gave.
mode_t result_mode(const WriteOptions& options);

class LocalWriter : public Writer {
 public:
  // `place` is the target's folder (already made) and name.
  LocalWriter(Place place, const WriteOptions& options);
  // The same in a folder another object owns (a storage::Folder), whose
  // descriptor `dir` outlives this writer and may be shared by threads.
  LocalWriter(int dir, std::string name, std::string display, const WriteOptions& options);
  ~LocalWriter() override;

  void write_at(uint64_t offset, const void* buf, size_t len) override;
  void commit() override;
  std::optional<FileInfo> committed_info() const override { return committed_; }

  // The descriptor being written (copy and reflink fill it directly).
  int fd() const { return fd_.get(); }
  const std::string& display() const { return place_.display; }

 private:
  enum class Kind { kTmpFile, kNamedTemp, kInPlace };
  void open();
  void abandon() noexcept;
  void remember_committed();
  PlaceRef place() const { return PlaceRef(dir_, place_.name, place_.display, shared_dir_); }

  Place place_;       // its dir is invalid when the folder is borrowed
  int dir_;           // the target's folder
  bool shared_dir_ = false;
  WriteOptions options_;
  Kind kind_ = Kind::kTmpFile;
  std::string temp_;  // kNamedTemp: the temporary name in dir_
  Fd fd_;
  bool done_ = false;  // committed, or nothing left to clean up
  std::optional<FileInfo> committed_;
};

// Gives the regular file at `source`, whose lstat is `source_stat`, the
// name of `target` as a hard link, under the same
// create-only / overwrite / if_match / in_place / durable rules as a
// Writer's commit. The new name is checked to be that very inode (else it
// is removed and the call fails): a file swapped meanwhile is never linked.
// Returns false when the file system cannot link these two (the caller
// copies instead). `linked`, when given, receives the stat of the published
// name, taken after the link (and after the rename that publishes it).
bool publish_hard_link(const PlaceRef& source, const struct stat& source_stat, const PlaceRef& target,
                       const WriteOptions& options, struct stat* linked = nullptr);

// Tests only: names O_TMPFILE files through /proc/self/fd (as where
// linkat(AT_EMPTY_PATH) is refused) when true, or tries AT_EMPTY_PATH first
// again when false.
void set_tmpfile_links_via_proc_for_testing(bool via_proc);

// Removes the file (or link: never its target) at `place`; false when it
// is absent. With `if_match`, only when its etag still is that one (checked
// under the folder's flock, like a conditional publish); otherwise
// FailedCommand kPreconditionFailed. A folder throws FailedCommand.
bool remove_file(const PlaceRef& place, const std::string& if_match);

}  // namespace wrapp::storage::local
