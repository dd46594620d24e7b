// Whole-file reads and crash-safe whole-file writes on the local file system.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace wrapp::util {

// Replaces `path` with `content` atomically: readers see either the old file
// or the complete new one, never a partial write. Writes a temporary file
// with a unique name in the same directory (created with O_EXCL), fsyncs it,
// renames it over `path` and fsyncs the directory (best effort). On failure
// the temporary file is removed and StorageError is thrown naming `path` and
// the cause. The directory must exist. New files get mode 0666 & ~umask.
// With !durable the fsyncs are skipped: the rename still makes the new file
// appear whole or not at all to every reader, and after a power loss the old
// file (or, rarely, an empty one) may come back. Fine for a cache.
void write_file_atomically(const std::string& path, std::string_view content, bool durable = true);

// The same for content too big to hold in memory: write_content(fd) writes
// it to the temporary file (any way it likes: write, pwrite) and throws on
// failure, which removes the temporary file and leaves `path` as it was.
void write_file_atomically_with(const std::string& path, const std::function<void(int fd)>& write_content,
                                bool durable = true);

// The whole content of `path`, or nullopt if it does not exist (ENOENT).
// Every other failure (permission, is a directory, I/O) throws StorageError
// naming `path` and the cause.
std::optional<std::string> read_file(const std::string& path);

}  // namespace wrapp::util
