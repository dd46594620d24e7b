#include "storage/http/curl_library.h"

#include "util/error.h"
#include "util/shared_library.h"

#ifndef WRAPP_LIBCURL_SONAME
#define WRAPP_LIBCURL_SONAME "libcurl.so.4"
#endif

namespace wrapp::storage::http {
namespace {

CurlLibrary open_library() {
  const char* name = WRAPP_LIBCURL_SONAME;
  void* handle = util::open_shared_library(name, "libcurl, needed to reach object stores and HTTPS servers");
  CurlLibrary lib{};
#define WRAPP_CURL_LOAD(member, fn) \
  lib.member = reinterpret_cast<decltype(lib.member)>(util::shared_library_function(handle, name, #fn, "libcurl"));
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
