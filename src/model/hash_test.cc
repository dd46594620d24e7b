#include "model/hash.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

namespace wrapp::model {
namespace {

std::string with_prefix(const char* hex) { return std::string(kHashPrefix) + hex; }

std::string hash_of(const std::string& s) {
  FlatHasher h;
  h.update(s.data(), s.size());
  return h.finish();
}

std::string pseudo_random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

TEST(HashTest, Sha256KnownVectors) {
  EXPECT_EQ(to_hex(sha256("", 0)), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(sha256("abc", 3)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HashTest, FlatVectorEmpty) {
  const char* want = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  EXPECT_EQ(hash_of(""), with_prefix(want));
  FlatHasher h;  // no update() at all
  EXPECT_EQ(h.finish(), with_prefix(want));
  EXPECT_EQ(h.bytes(), 0u);
  EXPECT_EQ(ContentHash(flat_digest_from_chunk_digests({})).str(), with_prefix(want));
  EXPECT_EQ(flat_hash(nullptr, 0), with_prefix(want));
}

TEST(HashTest, FlatVectorA) {
  EXPECT_EQ(hash_of("a"), with_prefix("bf5d3affb73efd2ec6c36ad3112dd933efed63c4e1cbffcfa88e2759c144f2d8"));
}

TEST(HashTest, FlatVectorOneChunkOfZeros) {
  std::string zeros(kHashChunkSize, '\0');
  EXPECT_EQ(kHashChunkSize, 1048576u);
  EXPECT_EQ(hash_of(zeros), with_prefix("599d71033d700ac892a0e48fa61b125d2f59941bb45da1909444d43c6ee0bab2"));
}

TEST(HashTest, FlatVectorOneChunkPlusOneZero) {
  std::string zeros(kHashChunkSize + 1, '\0');
  EXPECT_EQ(hash_of(zeros), with_prefix("28638dab8d5e1754a4ecb38b0ebe6df66c844f94aed142d4d0283d208bb786cd"));
}

TEST(HashTest, FlatDefinition) {
  // Value is SHA-256 over the concatenated chunk digests.
  std::string data = pseudo_random_bytes(2 * kHashChunkSize + 12345, 7);
  std::string concat;
  for (size_t off = 0; off < data.size(); off += kHashChunkSize) {
    Digest d = sha256(data.data() + off, std::min(kHashChunkSize, data.size() - off));
    concat.append(reinterpret_cast<const char*>(d.data()), d.size());
  }
  EXPECT_EQ(concat.size(), 3 * 32u);
  EXPECT_EQ(hash_of(data), format_hash(sha256(concat.data(), concat.size())));
}

TEST(HashTest, ArbitrarySplitsGiveSameResult) {
  std::string data = pseudo_random_bytes(3 * kHashChunkSize + 777, 42);
  const std::string want = hash_of(data);
  std::mt19937 rng(1234);
  for (int round = 0; round < 20; ++round) {
    FlatHasher h;
    size_t off = 0;
    // Mix tiny pieces, pieces around the chunk size and zero-length updates.
    std::uniform_int_distribution<int> kind(0, 3);
    while (off < data.size()) {
      size_t n = 0;
      switch (kind(rng)) {
        case 0: n = rng() % 8; break;
        case 1: n = rng() % 70000; break;
        case 2: n = kHashChunkSize - 1 + rng() % 3; break;
        default: n = rng() % (2 * kHashChunkSize); break;
      }
      n = std::min(n, data.size() - off);
      h.update(data.data() + off, n);
      off += n;
    }
    EXPECT_EQ(h.bytes(), data.size());
    EXPECT_EQ(h.finish(), want) << "round " << round;
  }
  // Byte-by-byte across a chunk boundary.
  std::string small = data.substr(0, kHashChunkSize + 3);
  FlatHasher h;
  h.update(small.data(), kHashChunkSize - 3);
  for (size_t i = kHashChunkSize - 3; i < small.size(); ++i) h.update(&small[i], 1);
  EXPECT_EQ(h.finish(), hash_of(small));
}

TEST(HashTest, ChunkDigestCombinationEqualsStreaming) {
  for (size_t size : {size_t{1}, kHashChunkSize - 1, kHashChunkSize, kHashChunkSize + 1,
                      3 * kHashChunkSize, 4 * kHashChunkSize + 5}) {
    std::string data = pseudo_random_bytes(size, static_cast<uint32_t>(size));
    size_t n_chunks = (size + kHashChunkSize - 1) / kHashChunkSize;
    std::vector<Digest> digests(n_chunks);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < n_chunks; ++i) {
      threads.emplace_back([&, i] {
        size_t off = i * kHashChunkSize;
        digests[i] = sha256(data.data() + off, std::min(kHashChunkSize, size - off));
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ContentHash(flat_digest_from_chunk_digests(digests)).str(), hash_of(data)) << "size " << size;
    EXPECT_EQ(flat_hash(data.data(), data.size()), hash_of(data));
  }
}

TEST(HashTest, FinishIsIdempotentAndUpdateAfterFinishThrows) {
  FlatHasher h;
  h.update("a", 1);
  std::string first = h.finish();
  EXPECT_EQ(h.finish(), first);
  EXPECT_THROW(h.update("b", 1), std::logic_error);
  FlatHasher moved = std::move(h);
  EXPECT_EQ(moved.finish(), first);
}

TEST(HashTest, ToHexIsLowercase) {
  Digest d{};
  d[0] = 0xAB;
  d[31] = 0x0F;
  std::string hex = to_hex(d);
  EXPECT_EQ(hex.size(), 64u);
  EXPECT_EQ(hex.substr(0, 2), "ab");
  EXPECT_EQ(hex.substr(62), "0f");
}

TEST(HashTest, IsValidHash) {
  const std::string good = with_prefix("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_TRUE(is_valid_hash(good));
  EXPECT_FALSE(is_valid_hash(""));
  EXPECT_FALSE(is_valid_hash(std::string(kHashPrefix)));
  EXPECT_FALSE(is_valid_hash("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  EXPECT_FALSE(is_valid_hash(good + "0"));                 // too long
  EXPECT_FALSE(is_valid_hash(good.substr(0, good.size() - 1)));  // too short
  std::string upper = good;
  upper.back() = 'F';
  EXPECT_FALSE(is_valid_hash(upper));
  std::string bad_char = good;
  bad_char[kHashPrefix.size() + 3] = 'g';
  EXPECT_FALSE(is_valid_hash(bad_char));
  EXPECT_FALSE(is_valid_hash("sha-256-flat;1048577;e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  EXPECT_FALSE(is_valid_hash("sha-256;1048576;e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  EXPECT_FALSE(is_valid_hash(std::string_view("sha-256-flat;1048576;\0", 22)));
}

TEST(HashTest, ParseHashRoundTrip) {
  Digest d = sha256("xyz", 3);
  auto parsed = parse_hash(format_hash(d));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, d);
  EXPECT_FALSE(parse_hash("nope").has_value());
}

}  // namespace
}  // namespace wrapp::model
