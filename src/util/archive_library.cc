#include "util/archive_library.h"

#include <dlfcn.h>

#include "util/error.h"

#ifndef WRAPP_LIBARCHIVE_SONAME
#define WRAPP_LIBARCHIVE_SONAME "libarchive.so.13"
#endif

namespace wrapp::util {
namespace {

ArchiveLibrary open_library() {
  const char* name = WRAPP_LIBARCHIVE_SONAME;
  void* handle = ::dlopen(name, RTLD_NOW | RTLD_LOCAL);  // never unloaded
  if (!handle) {
    const char* why = ::dlerror();
    throw StorageError(fmt::format("cannot load {} (libarchive, needed to read and write tar archives): {}", name,
                                   why ? why : "unknown reason"));
  }
  ArchiveLibrary lib{};
#define WRAPP_ARCHIVE_LOAD(fn)                                                                 \
  lib.fn = reinterpret_cast<decltype(lib.fn)>(::dlsym(handle, #fn));                           \
  if (!lib.fn) throw StorageError(fmt::format("{} has no function {}: too old a libarchive", name, #fn));
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
