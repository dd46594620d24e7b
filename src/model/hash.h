// The package content hash of WRAPP: "sha-256-flat;1048576;<64 lowercase hex>".
//
// Content is split into 1 MiB (1,048,576-byte) chunks; every chunk is hashed
// with SHA-256 (32-byte binary digest) and the value is the SHA-256 over the
// concatenation of all chunk digests, in order. Empty content has no chunks,
// so its value is the SHA-256 of empty input.
//
// SHA-256 comes from OpenSSL's EVP interface (which uses the CPU's SHA
// instructions); the EVP_MD is fetched once per process and digest contexts
// are reused.
//
// Thread safety: the free functions may be called from any thread. A
// FlatHasher is used by one thread at a time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace wrapp::model {

inline constexpr size_t kHashChunkSize = 1048576;
inline constexpr std::string_view kHashPrefix = "sha-256-flat;1048576;";

using Digest = std::array<uint8_t, 32>;

// SHA-256 of one buffer.
Digest sha256(const void* data, size_t len);
// Loads the library sha256() uses (OpenSSL's libcrypto, opened on first
// use: about a millisecond), so that a command about to hash can have it
// loaded on another thread while it does other work. Throws what the first
// sha256() would.
void load_hash_library();

// 64 lowercase hex digits.
std::string to_hex(const Digest& digest);

// kHashPrefix + to_hex(value).
std::string format_hash(const Digest& value);

// The value of a hash string if is_valid_hash(hash), else nullopt.
std::optional<Digest> parse_hash(std::string_view hash);

// Exact format check: kHashPrefix followed by exactly 64 lowercase hex digits.
bool is_valid_hash(std::string_view hash);

// Streaming hasher: update() with any split of the bytes gives the same
// result; finish() returns the full hash string. finish() may be called more
// than once (it returns the same string); update() after finish() throws
// std::logic_error.
class FlatHasher {
 public:
  FlatHasher();
  ~FlatHasher();
  FlatHasher(FlatHasher&&) noexcept;
  FlatHasher& operator=(FlatHasher&&) noexcept;
  FlatHasher(const FlatHasher&) = delete;
  FlatHasher& operator=(const FlatHasher&) = delete;

  void update(const void* data, size_t len);
  std::string finish();
  // Bytes passed to update() so far.
  uint64_t bytes() const { return bytes_; }

 private:
  void finish_chunk();

  struct Contexts;
  std::unique_ptr<Contexts> ctx_;
  size_t in_chunk_ = 0;  // bytes of the current, unfinished chunk
  uint64_t bytes_ = 0;
  std::optional<std::string> result_;
};

// Hash string of a whole buffer (same as one FlatHasher::update + finish).
std::string flat_hash(const void* data, size_t len);

// For parallel hashing: callers compute sha256() of each whole chunk (every
// chunk kHashChunkSize bytes except possibly the last, which is non-empty),
// on many threads, then combine the digests in order here. No digests means
// empty content. Returns the hash's value (ContentHash's digest).
Digest flat_digest_from_chunk_digests(const std::vector<Digest>& chunk_digests);

// A content hash as catalogs hold it: the 32-byte value of a
// "sha-256-flat;1048576;<hex>" string, or empty (unknown). A third of the
// size of the text form, which matters with a million catalog items.
class ContentHash {
 public:
  ContentHash() = default;
  explicit ContentHash(const Digest& value) : value_(value), set_(true) {}
  // From the text form; "" gives an empty hash. Throws FailedCommand on
  // any other text that is not a valid hash. Implicit, so a computed hash
  // string compares directly with a catalog's.
  ContentHash(std::string_view text);  // NOLINT(google-explicit-constructor)
  ContentHash(const std::string& text) : ContentHash(std::string_view(text)) {}  // NOLINT
  ContentHash(const char* text) : ContentHash(std::string_view(text)) {}  // NOLINT

  bool empty() const { return !set_; }
  // The text form, "" when empty.
  std::string str() const;
  const Digest& digest() const { return value_; }

  bool operator==(const ContentHash& o) const { return set_ == o.set_ && (!set_ || value_ == o.value_); }

 private:
  Digest value_{};
  bool set_ = false;
};

}  // namespace wrapp::model

template <>
struct fmt::formatter<wrapp::model::ContentHash> : fmt::formatter<std::string> {
  template <typename Context>
  auto format(const wrapp::model::ContentHash& h, Context& ctx) const {
    return fmt::formatter<std::string>::format(h.str(), ctx);
  }
};
