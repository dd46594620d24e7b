#include "util/crypto_library.h"

#include "util/shared_library.h"

// The shared library of the OpenSSL whose headers this was compiled with
// (OPENSSL_SHLIB_VERSION: 3 for every OpenSSL 3.x).
#define WRAPP_CRYPTO_STRINGIFY2(x) #x
#define WRAPP_CRYPTO_STRINGIFY(x) WRAPP_CRYPTO_STRINGIFY2(x)
#ifndef WRAPP_LIBCRYPTO_SONAME
#define WRAPP_LIBCRYPTO_SONAME "libcrypto.so." WRAPP_CRYPTO_STRINGIFY(OPENSSL_SHLIB_VERSION)
#endif

namespace wrapp::util {
namespace {

CryptoLibrary open_library() {
  const char* name = WRAPP_LIBCRYPTO_SONAME;
  void* handle = open_shared_library(name, "OpenSSL's libcrypto, needed to hash files and sign requests");
  CryptoLibrary lib{};
#define WRAPP_CRYPTO_LOAD(fn) \
  lib.fn = reinterpret_cast<decltype(lib.fn)>(shared_library_function(handle, name, #fn, "libcrypto"));
  WRAPP_CRYPTO_FUNCTIONS(WRAPP_CRYPTO_LOAD)
#undef WRAPP_CRYPTO_LOAD
  return lib;
}

}  // namespace

const CryptoLibrary& crypto_library() {
  // A failed load throws out of the initialiser: the next call tries again.
  static const CryptoLibrary lib = open_library();
  return lib;
}

}  // namespace wrapp::util
