// Service-account authentication for Google Cloud Storage: the OAuth2 JWT
// bearer flow (RFC 7523). A JWT naming the account and the storage scope is
// signed RS256 with the account's private key (OpenSSL EVP), exchanged at
// the account's token_uri for an access token, and that token is cached
// until shortly before it expires.
//
// Secrets: the private key, the signed assertion and the access token never
// appear in a message; errors name the key file and the account's email.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "storage/http/client.h"

namespace wrapp::storage::gcs {

inline constexpr std::string_view kDefaultTokenUri = "https://oauth2.googleapis.com/token";
// Objects are read, written and deleted; buckets are not administered.
inline constexpr std::string_view kStorageScope = "https://www.googleapis.com/auth/devstorage.read_write";

struct ServiceAccount {
  std::string client_email;
  std::string private_key;  // PEM
  std::string private_key_id;
  std::string token_uri{kDefaultTokenUri};
  std::string project_id;
  std::string source;  // the file it came from, for messages
};

// A service-account key file's JSON ("type": "service_account"). StorageError
// naming `source` when it is not one; the text is never quoted.
ServiceAccount parse_service_account(std::string_view json_text, const std::string& source);
ServiceAccount load_service_account(const std::string& path);

// RFC 4648 base64url without padding.
std::string base64url(std::string_view bytes);

// The signed assertion: header.claims.signature, with iat = now and
// exp = now + 1 hour, aud = token_uri. StorageError when the key cannot sign.
std::string make_jwt(const ServiceAccount& account, int64_t now_seconds, std::string_view scope = kStorageScope);

// Access tokens for one service account, shared by every thread of a
// backend: one fetch at a time, cached until 5 minutes before expiry.
class TokenSource {
 public:
  using Clock = std::function<int64_t()>;  // seconds since the epoch

  TokenSource(ServiceAccount account, http::Client& client, http::RetryPolicy retry,
              std::function<void()> check_cancelled, Clock clock = {});

  // A valid access token, fetched when none is cached (or it is near
  // expiry). StorageError naming the account when the exchange fails.
  std::string token();
  // The server refused `token` (401): forget it, so the next call fetches.
  void invalidate(const std::string& token);
  const ServiceAccount& account() const { return account_; }

 private:
  int64_t now() const;

  ServiceAccount account_;
  http::Client& client_;
  http::RetryPolicy retry_;
  std::function<void()> check_cancelled_;
  Clock clock_;
  std::mutex mu_;
  std::string token_;
  int64_t expires_at_ = 0;
};

}  // namespace wrapp::storage::gcs
