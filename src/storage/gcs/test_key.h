// Test helper (not part of the library): an RSA key made at test time, so
// that no private key is ever kept in the tree.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>

namespace wrapp::storage::gcs::testing {

struct TestKey {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{EVP_RSA_gen(2048), EVP_PKEY_free};

  // The private key as PEM, as a service-account key file holds it.
  std::string pem() const {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(n));
  }
};

// One key per test run (making one takes a while).
inline const TestKey& test_key() {
  static TestKey key;
  return key;
}

}  // namespace wrapp::storage::gcs::testing
