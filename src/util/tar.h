// Tar archives, through libarchive, behind an interface of our own: the
// commands see members and bytes, never libarchive. Storage-neutral: bytes
// come from, and go to, callbacks.
//
// Writing: POSIX pax in its restricted form (ustar headers, with a pax
// extended header only for what ustar cannot hold: long or non-ASCII names,
// members of 8 GiB and more), which every tar reader lists. Member names are
// UTF-8.
//
// Reading: tar in every dialect libarchive knows (ustar, pax, GNU, v7),
// plain or gzip-compressed (detected from the bytes, not the file name).
// Nothing is extracted: the caller gets each member's header and streams its
// data, and decides what it accepts. Memory stays bounded whatever the
// archive holds: one header at a time (libarchive bounds the long names and
// pax headers it buffers), and the data in the caller's buffers.
//
// Errors: a malformed or truncated archive throws FailedCommand (kBadInput)
// naming the archive; an exception thrown by a callback is passed through
// unchanged once libarchive has returned.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace wrapp::tar {

enum class MemberType { kFile, kDirectory, kSymlink, kHardlink, kOther };

// "file", "folder", "symbolic link", "hard link", "device, FIFO or socket".
const char* member_type_name(MemberType type);

struct MemberHeader {
  std::string path;  // as stored: no normalisation, no check
  MemberType type = MemberType::kFile;
  uint64_t size = 0;         // data bytes that follow (0 for all but files)
  uint32_t mode = 0;         // permission bits (07777)
  int64_t mtime = 0;         // seconds since the epoch
  std::string link_target;   // symbolic and hard links
};

class Writer {
 public:
  // Receives the archive's bytes in order. May throw; the exception comes
  // out of the Writer call that produced the bytes.
  using Sink = std::function<void(const void* data, size_t len)>;
  // `origin` names the archive in messages.
  Writer(Sink sink, std::string origin);
  // An unfinished archive is abandoned: nothing more reaches the sink.
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Starts a regular file member of exactly `size` bytes.
  void begin_file(std::string_view path, uint64_t size, uint32_t mode, int64_t mtime);
  // Data of the current member; more than its size is refused.
  void write(const void* data, size_t len);
  // Ends the archive (end-of-archive blocks, the last record padded). The
  // current member must be complete.
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Reader {
 public:
  struct Source {
    // Fills up to `len` bytes; 0 at the end. May throw.
    std::function<size_t(void* buf, size_t len)> read;
    // Optional: skips up to `n` bytes without reading them (a seekable
    // source) and returns how many it skipped.
    std::function<uint64_t(uint64_t n)> skip;
  };
  Reader(Source source, std::string origin);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // The next member's header; nullopt at the end of the archive. The data
  // of the member before, unread, is skipped.
  std::optional<MemberHeader> next();
  // Data of the current member: up to `len` bytes, 0 at its end.
  size_t read(void* buf, size_t len);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wrapp::tar
