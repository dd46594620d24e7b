// libarchive, opened on first use (dlopen) instead of linked into wrapp.
//
// Why: libarchive brings its compressors and XML reader with it (lzma, zstd,
// lz4, bz2, libxml2 and ICU's 30 MB of data...), and loading and relocating
// them costs every wrapp process about 2 ms at start, whether or not it ever
// reads or writes a tar archive. Only export and import do: they take it
// through here (util/tar.cc), so other commands never load it. The same is
// done for libcurl (storage/http/curl_library.h).
//
// Each member has the type and name of libarchive's own function
// (archive.h, archive_entry.h).
#pragma once

#include <archive.h>
#include <archive_entry.h>

namespace wrapp::util {

#define WRAPP_ARCHIVE_FUNCTIONS(X)                                                                      \
  X(archive_entry_filetype) X(archive_entry_free) X(archive_entry_hardlink) X(archive_entry_mtime)        \
  X(archive_entry_new) X(archive_entry_pathname) X(archive_entry_perm) X(archive_entry_set_filetype)      \
  X(archive_entry_set_mtime) X(archive_entry_set_pathname) X(archive_entry_set_perm)                      \
  X(archive_entry_set_size) X(archive_entry_size) X(archive_entry_symlink) X(archive_error_string)        \
  X(archive_read_data) X(archive_read_free) X(archive_read_new) X(archive_read_next_header)               \
  X(archive_read_open1) X(archive_read_set_callback_data) X(archive_read_set_read_callback)               \
  X(archive_read_set_skip_callback) X(archive_read_support_filter_gzip) X(archive_read_support_format_tar) \
  X(archive_write_close) X(archive_write_data) X(archive_write_free) X(archive_write_header)               \
  X(archive_write_new) X(archive_write_open) X(archive_write_set_bytes_in_last_block)                    \
  X(archive_write_set_bytes_per_block) X(archive_write_set_format_pax_restricted)

struct ArchiveLibrary {
#define WRAPP_ARCHIVE_MEMBER(fn) decltype(&::fn) fn;
  WRAPP_ARCHIVE_FUNCTIONS(WRAPP_ARCHIVE_MEMBER)
#undef WRAPP_ARCHIVE_MEMBER
};

// The library, opened by the first call, from any thread; it stays loaded.
// Throws StorageError naming the library and the loader's reason when it
// cannot be opened or lacks a function.
const ArchiveLibrary& archive_library();

}  // namespace wrapp::util
