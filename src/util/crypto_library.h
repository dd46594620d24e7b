// OpenSSL's libcrypto, opened on first use (dlopen) instead of linked into
// wrapp.
//
// Why: loading and relocating libcrypto, and running its initialisers, cost
// every wrapp process about 1.7 ms at start (measured: an empty program that
// links it starts in 2.5 ms, one that does not in 0.8 ms): a third of the
// time of a status of a package of a few files that the hash cache vouches
// for, which hashes nothing and signs nothing. What needs it takes it
// through here: hashing (model/hash.cc) and the signatures of the object
// stores (S3 SigV4, Azure Shared Key, GCS service-account JWTs). The same is
// done for libcurl (storage/http/curl_library.h) and libarchive
// (util/archive_library.h).
//
// Each member has the type and name of libcrypto's own function; the
// OpenSSL headers still give the types and constants.
#pragma once

// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of the EVP
// interface, and still exported: model/hash.cc uses them because the EVP
// digest's first use loads the configuration and the default provider
// (0.7-1.2 ms measured, every process that hashes), for the same assembly.
#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED
#endif
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

namespace wrapp::util {

#define WRAPP_CRYPTO_FUNCTIONS(X)                                                                          \
  X(BIO_free) X(BIO_new_mem_buf) X(ERR_clear_error) X(ERR_error_string_n) X(ERR_get_error)                   \
  X(EVP_DecodeBlock) X(EVP_DigestSign) X(EVP_DigestSignInit) X(EVP_EncodeBlock) X(EVP_MD_CTX_free)           \
  X(EVP_MD_CTX_new) X(EVP_PKEY_free) X(EVP_PKEY_get_base_id) X(EVP_sha256) X(HMAC) X(OPENSSL_cleanse)        \
  X(PEM_read_bio_PrivateKey) X(SHA256) X(SHA256_Final) X(SHA256_Init) X(SHA256_Update)

struct CryptoLibrary {
#define WRAPP_CRYPTO_MEMBER(fn) decltype(&::fn) fn;
  WRAPP_CRYPTO_FUNCTIONS(WRAPP_CRYPTO_MEMBER)
#undef WRAPP_CRYPTO_MEMBER
};

// The library, opened by the first call, from any thread; it stays loaded.
// Throws StorageError naming the library and the loader's reason when it
// cannot be opened or lacks a function.
const CryptoLibrary& crypto_library();

}  // namespace wrapp::util
