#include "util/archive_library.h"

#include "util/shared_library.h"

#ifndef WRAPP_LIBARCHIVE_SONAME
#define WRAPP_LIBARCHIVE_SONAME "libarchive.so.13"
#endif

namespace wrapp::util {
namespace {

ArchiveLibrary open_library() {
  const char* name = WRAPP_LIBARCHIVE_SONAME;
  void* handle = open_shared_library(name, "libarchive, needed to read and write tar archives");
  ArchiveLibrary lib{};
#define WRAPP_ARCHIVE_LOAD(fn) \
  lib.fn = reinterpret_cast<decltype(lib.fn)>(shared_library_function(handle, name, #fn, "libarchive"));
  WRAPP_ARCHIVE_FUNCTIONS(WRAPP_ARCHIVE_LOAD)
#undef WRAPP_ARCHIVE_LOAD
  return lib;
}

}  // namespace

const ArchiveLibrary& archive_library() {
  // A failed load throws out of the initialiser: the next call tries again.
  static const ArchiveLibrary lib = open_library();
  return lib;
}

}  // namespace wrapp::util
