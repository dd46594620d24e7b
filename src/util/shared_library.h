// Libraries opened on first use instead of linked (util/crypto_library.h,
// util/archive_library.h, storage/http/curl_library.h): the loading and the
// errors they share.
#pragma once

#include <string_view>

namespace wrapp::util {

// Opens `soname` for the rest of the process (never unloaded: handles and
// callbacks into it live until exit). Throws StorageError "cannot load
// <soname> (<purpose>): <the loader's reason>".
void* open_shared_library(const char* soname, std::string_view purpose);

// The address of function `symbol` in `handle` (opened as `soname`). Throws
// StorageError "<soname> has no function <symbol>: too old a <library>".
void* shared_library_function(void* handle, const char* soname, const char* symbol, std::string_view library);

}  // namespace wrapp::util
