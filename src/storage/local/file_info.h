// FileInfo of local files, and their etag.
#pragma once

#include <sys/stat.h>

#include <string>

#include "storage/storage.h"

namespace wrapp::storage::local {

// The etag of a local file: "<dev>-<ino>-<size>-<mtime_ns>-<ctime_ns>".
// Replacing a file (a new inode), writing into it (mtime) or changing its
// metadata (ctime) changes it. Timestamps are only as fine as the file
// system keeps them, and a freed inode number may be reused: conditional
// publishes therefore stamp their file with a nanosecond mtime (see
// writer.cc), so that a file replacing another never repeats its etag.
std::string etag_of(const struct stat& st);

// Everything stat() reports, from a stat of the object itself (links not
// followed: a link gives is_link). Listings leave the etag out (see
// Storage::list).
FileInfo to_info(const struct stat& st, bool with_etag = true);

}  // namespace wrapp::storage::local
