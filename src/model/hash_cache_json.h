// The hash cache's file, format version 1 (JSON), as wrapp wrote it before
// the table of hash_cache_file.h: still read, so that a cache saved by an
// earlier wrapp carries over (the next save writes version 2).
//
//   {"format": "wrapp-hash-cache",
//    "version": 1,
//    "entries": {"/abs/path": {"size": 1, "mtime_ns": 1, "ctime_ns": 1, "inode": 1,
//                              "hash": "sha-256-flat;1048576;<64 hex>"}, ...}}
//
// Entries that are malformed, lack ctime_ns or carry an invalid hash are
// skipped; unknown fields are ignored.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "model/hash.h"
#include "model/hash_cache_file.h"

namespace wrapp {
struct TextWindow;
}

namespace wrapp::model {

inline constexpr int kHashCacheJsonVersion = 1;

// Parses `text` (a pull parse: bounded nesting, handing pages back through
// `window` when given) and calls on_entry for each usable entry. Throws
// FailedCommand naming the cause for anything that is not a version 1 cache
// (ErrorCode::kNewerFormat for a higher version).
void read_hash_cache_json(std::string_view text, const TextWindow* window,
                          const std::function<void(std::string&& path, const FileStamp&, const Digest&)>& on_entry);

}  // namespace wrapp::model
