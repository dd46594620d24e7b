#include "util/shared_library.h"

#include <dlfcn.h>

#include "util/error.h"

namespace wrapp::util {

void* open_shared_library(const char* soname, std::string_view purpose) {
  void* handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = ::dlerror();
    throw StorageError(fmt::format("cannot load {} ({}): {}", soname, purpose, why ? why : "unknown reason"));
  }
  return handle;
}

void* shared_library_function(void* handle, const char* soname, const char* symbol, std::string_view library) {
  void* address = ::dlsym(handle, symbol);
  if (!address) throw StorageError(fmt::format("{} has no function {}: too old a {}", soname, symbol, library));
  return address;
}

}  // namespace wrapp::util
