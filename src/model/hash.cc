#include "model/hash.h"


#include <algorithm>
#include <stdexcept>

#include "util/crypto_library.h"
#include "util/error.h"

namespace wrapp::model {
namespace {

[[noreturn]] void throw_openssl(const char* what) {
  const auto& ssl = util::crypto_library();
  unsigned long code = ssl.ERR_get_error();
  char buf[256] = "unknown error";
  if (code != 0) ssl.ERR_error_string_n(code, buf, sizeof buf);
  ssl.ERR_clear_error();
  throw StorageError(fmt::format("OpenSSL SHA-256 {} failed: {}", what, buf));
}

void check(int ok, const char* what) {
  if (ok != 1) throw_openssl(what);
}

// The low-level functions, not EVP: an EVP digest's first use loads
// OpenSSL's configuration and default provider (0.7-1.2 ms measured, in
// every process that hashes anything), for the same assembly underneath.
// A context is a plain struct: nothing to allocate or free.
void init(SHA256_CTX* c) { check(util::crypto_library().SHA256_Init(c), "init"); }

void digest_update(SHA256_CTX* c, const void* data, size_t len) {
  if (len > 0) check(util::crypto_library().SHA256_Update(c, data, len), "update");
}

Digest finalize(SHA256_CTX* c) {
  Digest d;
  check(util::crypto_library().SHA256_Final(d.data(), c), "final");
  return d;
}

constexpr char kHexDigits[] = "0123456789abcdef";

// Lowercase hex digit values, -1 for anything else (uppercase is not valid
// in a hash string). A table: catalogs parse a million hashes.
constexpr std::array<int8_t, 256> kHexValues = [] {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<int8_t>(c - 'a' + 10);
  return t;
}();

int hex_value(char c) { return kHexValues[static_cast<unsigned char>(c)]; }

}  // namespace

void load_hash_library() { util::crypto_library(); }

Digest sha256(const void* data, size_t len) {
  SHA256_CTX ctx;
  init(&ctx);
  digest_update(&ctx, data, len);
  return finalize(&ctx);
}

std::string to_hex(const Digest& digest) {
  std::string s(digest.size() * 2, '\0');
  for (size_t i = 0; i < digest.size(); ++i) {
    s[2 * i] = kHexDigits[digest[i] >> 4];
    s[2 * i + 1] = kHexDigits[digest[i] & 0xf];
  }
  return s;
}

std::string format_hash(const Digest& value) {
  std::string s;
  s.reserve(kHashPrefix.size() + 64);
  s.append(kHashPrefix);
  s.append(to_hex(value));
  return s;
}

std::optional<Digest> parse_hash(std::string_view hash) {
  if (hash.size() != kHashPrefix.size() + 64 || hash.substr(0, kHashPrefix.size()) != kHashPrefix) {
    return std::nullopt;
  }
  std::string_view hex = hash.substr(kHashPrefix.size());
  Digest d;
  for (size_t i = 0; i < d.size(); ++i) {
    int hi = hex_value(hex[2 * i]);
    int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    d[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return d;
}

bool is_valid_hash(std::string_view hash) { return parse_hash(hash).has_value(); }

struct FlatHasher::Contexts {
  SHA256_CTX chunk;  // digest of the current chunk
  SHA256_CTX outer;  // digest over the chunk digests
};

FlatHasher::FlatHasher() : ctx_(std::make_unique<Contexts>()) {
  init(&ctx_->chunk);
  init(&ctx_->outer);
}

FlatHasher::~FlatHasher() = default;
FlatHasher::FlatHasher(FlatHasher&&) noexcept = default;
FlatHasher& FlatHasher::operator=(FlatHasher&&) noexcept = default;

void FlatHasher::finish_chunk() {
  Digest d = finalize(&ctx_->chunk);
  digest_update(&ctx_->outer, d.data(), d.size());
  init(&ctx_->chunk);
  in_chunk_ = 0;
}

void FlatHasher::update(const void* data, size_t len) {
  if (result_) throw std::logic_error("FlatHasher::update after finish");
  const auto* p = static_cast<const uint8_t*>(data);
  while (len > 0) {
    size_t take = std::min(len, kHashChunkSize - in_chunk_);
    digest_update(&ctx_->chunk, p, take);
    in_chunk_ += take;
    bytes_ += take;
    p += take;
    len -= take;
    // A full chunk is closed at once, so content of exactly N chunks never
    // gets an extra empty chunk in finish().
    if (in_chunk_ == kHashChunkSize) finish_chunk();
  }
}

std::string FlatHasher::finish() {
  if (!result_) {
    if (in_chunk_ > 0) finish_chunk();
    result_ = format_hash(finalize(&ctx_->outer));
  }
  return *result_;
}

std::string flat_hash(const void* data, size_t len) {
  FlatHasher h;
  h.update(data, len);
  return h.finish();
}

Digest flat_digest_from_chunk_digests(const std::vector<Digest>& chunk_digests) {
  SHA256_CTX ctx;
  init(&ctx);
  for (const Digest& d : chunk_digests) digest_update(&ctx, d.data(), d.size());
  return finalize(&ctx);
}

ContentHash::ContentHash(std::string_view text) {
  if (text.empty()) return;
  auto value = parse_hash(text);
  if (!value) {
    fail("'{}' is not a content hash of the form sha-256-flat;1048576;<64 lowercase hex>", shorten_for_message(text));
  }
  value_ = *value;
  set_ = true;
}

std::string ContentHash::str() const { return set_ ? format_hash(value_) : std::string(); }

}  // namespace wrapp::model
