#include "storage/http/curl_library.h"

#include <dlfcn.h>

#include <exception>
#include <string>

#include "util/error.h"

#ifndef WRAPP_LIBCURL_SONAME
#define WRAPP_LIBCURL_SONAME "libcurl.so.4"
#endif

namespace wrapp::storage::http {
namespace {

CurlLibrary open_library() {
  const char* name = WRAPP_LIBCURL_SONAME;
  // Never unloaded: handles and callbacks live until the process ends.
  void* handle = ::dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = ::dlerror();
    throw StorageError(fmt::format("cannot load {} (libcurl, needed to reach object stores and HTTPS servers): {}",
                                   name, why ? why : "unknown reason"));
  }
  CurlLibrary lib{};
#define WRAPP_CURL_LOAD(member, fn)                                                         \
  lib.member = reinterpret_cast<decltype(lib.member)>(::dlsym(handle, #fn));                \
  if (!lib.member) throw StorageError(fmt::format("{} has no function {}: too old a libcurl", name, #fn));
  WRAPP_CURL_FUNCTIONS(WRAPP_CURL_LOAD)
#undef WRAPP_CURL_LOAD
  // curl_global_init is not thread-safe before 7.84: once, here, before any
  // handle exists.
  if (CURLcode code = lib.global_init(CURL_GLOBAL_DEFAULT); code != CURLE_OK) {
    throw StorageError(fmt::format("cannot initialise libcurl: {}", lib.easy_strerror(code)));
  }
  return lib;
}

}  // namespace

const CurlLibrary& curl_library() {
  // A failed load throws out of the initialiser, so the next call tries
  // again (and fails again with the same message).
  static const CurlLibrary lib = open_library();
  return lib;
}

}  // namespace wrapp::storage::http
