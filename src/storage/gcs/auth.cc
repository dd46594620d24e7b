#include "storage/gcs/auth.h"

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "storage/gcs/json.h"
#include "util/crypto_library.h"
#include "util/error.h"

namespace wrapp::storage::gcs {
namespace {

using nlohmann::json;

// Tokens are renewed this long before they expire, so a request never
// carries one that dies on the way.
constexpr int64_t kRenewBefore = 300;

std::string field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string form_encode(std::string_view text) { return http::uri_encode(text, false); }

}  // namespace

ServiceAccount parse_service_account(std::string_view json_text, const std::string& source) {
  auto refuse = [&](std::string_view why) -> ServiceAccount {
    throw StorageError(fmt::format("'{}' is not a usable Google service-account key file: {}", source, why));
  };
  if (json_text.size() > (1 << 20)) return refuse("it is bigger than any key file");
  json j = json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return refuse("it is not a JSON object");
  std::string type = field(j, "type");
  if (type != "service_account") {
    return refuse(fmt::format("its \"type\" is '{}', not 'service_account' (user credentials are not supported)",
                              shorten_for_message(type, 64)));
  }
  ServiceAccount account;
  account.client_email = field(j, "client_email");
  account.private_key = field(j, "private_key");
  account.private_key_id = field(j, "private_key_id");
  account.project_id = field(j, "project_id");
  account.source = source;
  if (std::string uri = field(j, "token_uri"); !uri.empty()) account.token_uri = uri;
  if (account.client_email.empty()) return refuse("it has no client_email");
  if (account.private_key.empty()) return refuse("it has no private_key");
  if (!account.token_uri.starts_with("https://") && !account.token_uri.starts_with("http://")) {
    return refuse("its token_uri is not an http(s) URL");
  }
  return account;
}

ServiceAccount load_service_account(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw StorageError(fmt::format("cannot read the Google service-account key file '{}'", path));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_service_account(text.str(), path);
}

std::string base64url(std::string_view bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  auto at = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += alphabet[v >> 6 & 63];
    out += alphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t v = at(i) << 16;
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
  } else if (i + 2 == bytes.size()) {
    uint32_t v = at(i) << 16 | at(i + 1) << 8;
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += alphabet[v >> 6 & 63];
  }
  return out;
}

std::string make_jwt(const ServiceAccount& account, int64_t now_seconds, std::string_view scope) {
  json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!account.private_key_id.empty()) header["kid"] = account.private_key_id;
  json claims = {{"iss", account.client_email},
                 {"scope", scope},
                 {"aud", account.token_uri},
                 {"iat", now_seconds},
                 {"exp", now_seconds + 3600}};
  std::string signing_input = base64url(header.dump()) + "." + base64url(claims.dump());

  auto cannot_sign = [&](std::string_view why) -> std::string {
    throw StorageError(fmt::format("cannot sign with the private key of '{}' ({}): {}", account.client_email,
                                   account.source, why));
  };
  const auto& ssl = util::crypto_library();
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      ssl.BIO_new_mem_buf(account.private_key.data(), static_cast<int>(account.private_key.size())), ssl.BIO_free);
  if (!bio) return cannot_sign("out of memory");
  // No passphrase callback: a key file's key is never encrypted, and OpenSSL
  // must not prompt on the terminal.
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      ssl.PEM_read_bio_PrivateKey(bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr),
      ssl.EVP_PKEY_free);
  if (!key) return cannot_sign("it is not a PEM private key");
  if (ssl.EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) return cannot_sign("it is not an RSA key");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(ssl.EVP_MD_CTX_new(), ssl.EVP_MD_CTX_free);
  size_t length = 0;
  if (!ctx || ssl.EVP_DigestSignInit(ctx.get(), nullptr, ssl.EVP_sha256(), nullptr, key.get()) != 1 ||
      ssl.EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return cannot_sign("the signature failed");
  }
  std::string signature(length, '\0');
  if (ssl.EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) != 1) {
    return cannot_sign("the signature failed");
  }
  signature.resize(length);
  return signing_input + "." + base64url(signature);
}

TokenSource::TokenSource(ServiceAccount account, http::Client& client, http::RetryPolicy retry,
                         std::function<void()> check_cancelled, Clock clock)
    : account_(std::move(account)),
      client_(client),
      retry_(retry),
      check_cancelled_(std::move(check_cancelled)),
      clock_(std::move(clock)) {}

int64_t TokenSource::now() const {
  if (clock_) return clock_();
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

std::string TokenSource::token() {
  // One fetch at a time: the threads that find no token wait for it.
  std::lock_guard lock(mu_);
  int64_t t = now();
  if (!token_.empty() && t < expires_at_ - kRenewBefore) return token_;
  std::string what = fmt::format("getting an access token for '{}' (key file '{}') from {}", account_.client_email,
                                 account_.source, http::redact(account_.token_uri));
  std::string body = "grant_type=" + form_encode("urn:ietf:params:oauth:grant-type:jwt-bearer") +
                     "&assertion=" + form_encode(make_jwt(account_, t));
  http::Response r = http::with_retries(
      [&] {
        return client_.perform({.method = "POST",
                                .url = account_.token_uri,
                                .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
                                .body = body});
      },
      retry_, check_cancelled_);
  if (!r.ok()) {
    std::string says = error_summary(r.body);
    throw StorageError(fmt::format("{}: refused with HTTP {}{}", what, r.status, says.empty() ? "" : ": " + says),
                       r.status == 400 || r.status == 401 || r.status == 403 ? ErrorCode::kGeneric : ErrorCode::kIo);
  }
  AccessToken token = parse_access_token(r.body, what);
  token_ = std::move(token.token);
  expires_at_ = t + token.expires_in;
  return token_;
}

void TokenSource::invalidate(const std::string& token) {
  std::lock_guard lock(mu_);
  if (token_ == token) token_.clear();
}

}  // namespace wrapp::storage::gcs
