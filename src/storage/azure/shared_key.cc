#include "storage/azure/shared_key.h"

#include <algorithm>
#include <cctype>

#include "util/crypto_library.h"
#include "util/error.h"

namespace wrapp::storage::azure {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Leading and trailing white space removed, inner runs folded to one space
// (Azure's canonical header values).
std::string fold_spaces(std::string_view value) {
  std::string out;
  bool space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

std::string string_to_sign(std::string_view method, std::string_view account, std::string_view path,
                           const std::map<std::string, std::string>& query, const Headers& headers,
                           uint64_t content_length) {
  auto header = [&](std::string_view name) {
    for (const auto& [n, v] : headers) {
      if (lower(n) == name) return v;
    }
    return std::string();
  };
  std::string s(method);
  s += '\n';
  for (const char* name : {"content-encoding", "content-language"}) s += header(name) + "\n";
  s += content_length == 0 ? std::string() : std::to_string(content_length);
  s += '\n';
  for (const char* name : {"content-md5", "content-type", "date", "if-modified-since", "if-match", "if-none-match",
                           "if-unmodified-since", "range"}) {
    s += header(name) + "\n";
  }
  std::map<std::string, std::string> ms;
  for (const auto& [n, v] : headers) {
    std::string name = lower(n);
    if (name.starts_with("x-ms-")) ms[name] = fold_spaces(v);
  }
  for (const auto& [n, v] : ms) s += n + ":" + v + "\n";
  s += "/";
  s += account;
  s += path;
  std::map<std::string, std::string> params;
  for (const auto& [n, v] : query) params[lower(n)] = v;
  for (const auto& [n, v] : params) s += "\n" + n + ":" + v;
  return s;
}

std::string shared_key_authorization(std::string_view account, std::string_view key, std::string_view string,
                                     const std::string& key_source) {
  std::string secret;
  if (!base64_decode(key, &secret) || secret.empty()) {
    fail_with(ErrorCode::kBadInput, "the account key of '{}' ({}) is not base64 (the value is not repeated)", account,
              key_source);
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  const auto& ssl = util::crypto_library();
  ssl.HMAC(ssl.EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(string.data()),
       string.size(), mac, &mac_size);
  ssl.OPENSSL_cleanse(secret.data(), secret.size());
  return "SharedKey " + std::string(account) + ":" +
         base64_encode(std::string_view(reinterpret_cast<const char*>(mac), mac_size));
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = util::crypto_library().EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                                 reinterpret_cast<const unsigned char*>(bytes.data()),
                                                 static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool base64_decode(std::string_view text, std::string* out) {
  if (text.empty() || text.size() % 4 != 0) return false;
  if (!std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=';
      })) {
    return false;
  }
  std::string bytes(3 * text.size() / 4, '\0');
  int n = util::crypto_library().EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                                                 reinterpret_cast<const unsigned char*>(text.data()),
                                                 static_cast<int>(text.size()));
  if (n < 0) return false;
  // EVP_DecodeBlock counts the padding as zero bytes.
  size_t padding = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
  bytes.resize(static_cast<size_t>(n) - padding);
  *out = std::move(bytes);
  return true;
}

}  // namespace wrapp::storage::azure
