#include "model/hash_cache.h"

#include <array>
#include <atomic>
#include <charconv>
#include <limits>
#include <mutex>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "model/hash.h"
#include "util/atomic_file.h"
#include "util/json_writer.h"
#include "util/error.h"

namespace wrapp::model {
namespace {

constexpr size_t kShards = 64;

struct Entry {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  Digest value{};  // the hash, stored binary (see format_hash / parse_hash)
  bool operator==(const Entry&) const = default;
};

struct Shard {
  mutable std::mutex mu;
  std::unordered_map<std::string, Entry> map;
};

// ---- writing ---------------------------------------------------------------


template <typename Int>
void append_int(std::string& out, Int v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

void append_entry(std::string& out, const std::string& path, const Entry& e) {
  static constexpr char kHex[] = "0123456789abcdef";
  append_json_escaped(out, path);  // checked valid UTF-8 by the caller
  out += ": {\"size\": ";
  append_int(out, e.size);
  out += ", \"mtime_ns\": ";
  append_int(out, e.mtime_ns);
  out += ", \"inode\": ";
  append_int(out, e.inode);
  out += ", \"hash\": \"";
  out += kHashPrefix;
  char hex[64];
  for (size_t i = 0; i < e.value.size(); ++i) {
    hex[2 * i] = kHex[e.value[i] >> 4];
    hex[2 * i + 1] = kHex[e.value[i] & 0xf];
  }
  out.append(hex, sizeof hex);
  out += "\"}";
}

}  // namespace

struct HashCache::State {
  std::array<Shard, kShards> shards;
  std::atomic<bool> dirty{false};
  // The file on disk is not ours to replace (another program's file, a
  // newer wrapp's cache, a legacy pickle): the cache runs in memory only.
  bool save_blocked = false;

  Shard& shard_for(const std::string& path) {
    return shards[std::hash<std::string>{}(path) % kShards];
  }
};

namespace {

// ---- reading ---------------------------------------------------------------

// SAX handler for the file format; inserts entries straight into the maps of
// a cache that is not shared yet, so parsing is one linear pass and builds no
// DOM. Stops at the first structural problem, recording it in `error`.
//
// Nesting: depth 0 outside the document, 1 in the top object, 2 in
// "entries", 3 in one entry. Values that are ignored (unknown keys, malformed
// entries) are skipped with skip_ counting their nesting.
template <typename Insert>
class CacheSax : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit CacheSax(Insert insert) : insert_(std::move(insert)) {}

  std::string error;
  bool saw_format = false;
  bool saw_version = false;
  bool saw_entries = false;

  bool null() override { return scalar(Kind::kOther); }
  bool boolean(bool) override { return scalar(Kind::kOther); }
  bool number_integer(number_integer_t v) override {
    return v < 0 ? scalar(Kind::kNegative, 0, v) : scalar(Kind::kUnsigned, static_cast<uint64_t>(v));
  }
  bool number_unsigned(number_unsigned_t v) override { return scalar(Kind::kUnsigned, v); }
  bool number_float(number_float_t, const string_t&) override { return scalar(Kind::kOther); }
  bool string(string_t& s) override { return scalar(Kind::kString, 0, 0, &s); }
  bool binary(binary_t&) override { return scalar(Kind::kOther); }

  bool start_object(std::size_t) override {
    if (skip_ > 0) {
      ++skip_;
      return true;
    }
    switch (depth_) {
      case 0:
        depth_ = 1;
        return true;
      case 1:
        if (key_ == "entries") {
          saw_entries = true;
          depth_ = 2;
          return true;
        }
        if (key_ == "format" || key_ == "version") return fail_with("\"" + key_ + "\" is not a scalar");
        skip_ = 1;
        return true;
      case 2:
        depth_ = 3;
        cur_ = Entry{};
        has_size_ = has_mtime_ = has_inode_ = has_hash_ = false;
        bad_ = false;
        return true;
      default:  // an object inside an entry
        if (is_entry_field(key_)) bad_ = true;
        skip_ = 1;
        return true;
    }
  }

  bool end_object() override {
    if (skip_ > 0) {
      --skip_;
      return true;
    }
    if (depth_ == 3 && !bad_ && has_size_ && has_mtime_ && has_inode_ && has_hash_) {
      insert_(std::move(path_), cur_);
    }
    --depth_;
    return true;
  }

  bool start_array(std::size_t) override {
    if (skip_ > 0) {
      ++skip_;
      return true;
    }
    switch (depth_) {
      case 0:
        return fail_with("the document is a JSON array, not an object");
      case 1:
        if (key_ == "entries") return fail_with("\"entries\" is not an object");
        if (key_ == "format" || key_ == "version") return fail_with("\"" + key_ + "\" is not a scalar");
        break;
      case 3:
        if (is_entry_field(key_)) bad_ = true;
        break;
      default:  // depth 2: an entry that is not an object is dropped
        break;
    }
    skip_ = 1;
    return true;
  }

  bool end_array() override {
    --skip_;  // arrays are only ever skipped
    return true;
  }

  bool key(string_t& k) override {
    if (skip_ > 0) return true;
    if (depth_ == 2) {
      path_ = std::move(k);
    } else {
      key_ = std::move(k);
    }
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) override {
    error = fmt::format("not valid JSON: {}", ex.what());
    return false;
  }

 private:
  enum class Kind { kUnsigned, kNegative, kString, kOther };

  static bool is_entry_field(const std::string& k) {
    return k == "size" || k == "mtime_ns" || k == "inode" || k == "hash";
  }

  bool fail_with(std::string message) {
    error = std::move(message);
    return false;
  }

  bool scalar(Kind kind, uint64_t u = 0, int64_t i = 0, std::string* s = nullptr) {
    if (skip_ > 0) return true;
    switch (depth_) {
      case 0:
        return fail_with("the document is not a JSON object");
      case 1:
        return top_scalar(kind, u, i, s);
      case 2:
        return true;  // an entry that is not an object is dropped
      default:
        entry_scalar(kind, u, i, s);
        return true;
    }
  }

  bool top_scalar(Kind kind, uint64_t u, int64_t i, std::string* s) {
    if (key_ == "format") {
      saw_format = true;
      if (kind != Kind::kString) return fail_with("\"format\" is not a string");
      if (*s != kHashCacheFormat) {
        return fail_with(fmt::format("foreign format \"{}\" (expected \"{}\")", *s, kHashCacheFormat));
      }
      return true;
    }
    if (key_ == "version") {
      saw_version = true;
      if (kind == Kind::kUnsigned && u == static_cast<uint64_t>(kHashCacheVersion)) return true;
      if (kind == Kind::kUnsigned && u > static_cast<uint64_t>(kHashCacheVersion)) {
        return fail_with(fmt::format("version {} is newer than this wrapp supports ({})", u,
                                     kHashCacheVersion));
      }
      if (kind == Kind::kUnsigned) return fail_with(fmt::format("unsupported version {}", u));
      if (kind == Kind::kNegative) return fail_with(fmt::format("unsupported version {}", i));
      return fail_with("\"version\" is not an integer");
    }
    if (key_ == "entries") return fail_with("\"entries\" is not an object");
    return true;  // unknown top-level field
  }

  void entry_scalar(Kind kind, uint64_t u, int64_t i, std::string* s) {
    if (key_ == "size" || key_ == "inode") {
      if (kind != Kind::kUnsigned) {
        bad_ = true;
      } else if (key_ == "size") {
        cur_.size = u;
        has_size_ = true;
      } else {
        cur_.inode = u;
        has_inode_ = true;
      }
    } else if (key_ == "mtime_ns") {
      if (kind == Kind::kNegative) {
        cur_.mtime_ns = i;
        has_mtime_ = true;
      } else if (kind == Kind::kUnsigned && u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        cur_.mtime_ns = static_cast<int64_t>(u);
        has_mtime_ = true;
      } else {
        bad_ = true;
      }
    } else if (key_ == "hash") {
      std::optional<Digest> d;
      if (kind == Kind::kString) d = parse_hash(*s);
      if (d) {
        cur_.value = *d;
        has_hash_ = true;
      } else {
        bad_ = true;
      }
    }
  }

  Insert insert_;
  int depth_ = 0;
  int skip_ = 0;
  std::string key_;   // current key at depth 1 or 3
  std::string path_;  // current key at depth 2
  Entry cur_;
  bool has_size_ = false, has_mtime_ = false, has_inode_ = false, has_hash_ = false;
  bool bad_ = false;
};

bool looks_like_pickle(std::string_view text) {
  // Pickle protocols 2..5 start with the PROTO opcode 0x80 and the version.
  return text.size() >= 2 && static_cast<unsigned char>(text[0]) == 0x80 &&
         static_cast<unsigned char>(text[1]) >= 2 && static_cast<unsigned char>(text[1]) <= 5;
}

}  // namespace

HashCache::HashCache() : state_(std::make_unique<State>()) {}
HashCache::~HashCache() = default;
HashCache::HashCache(HashCache&&) noexcept = default;
HashCache& HashCache::operator=(HashCache&&) noexcept = default;

HashCache HashCache::load(const std::string& path,
                          const std::function<void(const std::string&)>& warn) {
  std::optional<std::string> text;
  try {
    text = util::read_file(path);
  } catch (const StorageError& e) {
    warn(fmt::format("ignoring hash cache '{}': cannot read it ({}); it is left untouched and no cache is kept "
                     "this run",
                     path, e.what()));
    HashCache cache;
    cache.state_->save_blocked = true;  // what we cannot read we must not overwrite
    return cache;
  }
  if (!text) return HashCache();
  auto unusable = [&](const std::string& why, bool replace) {
    warn(fmt::format("ignoring hash cache '{}': {}; {}", path, why,
                     replace ? "it will be replaced" : "it is left untouched and no cache is kept this run"));
    HashCache cache;
    cache.state_->dirty = replace;
    cache.state_->save_blocked = !replace;
    return cache;
  };
  if (looks_like_pickle(*text)) {
    return unusable("it is a legacy pickle cache of WRAPP 2.1 or older (delete it, or pass another "
                    "--hash-cache-file, to start a JSON cache)",
                    false);
  }
  try {
    return from_json(*text);
  } catch (const FailedCommand& e) {
    // Only a damaged cache of our own format is replaced; anything else may
    // be a file the user pointed at by mistake, or a newer wrapp's cache.
    bool blank = text->find_first_not_of(" \t\r\n") == std::string::npos;
    bool ours = blank || text->substr(0, 256).find(std::string("\"") + std::string(kHashCacheFormat) + "\"") !=
                std::string::npos;
    bool newer = std::string_view(e.what()).find("newer") != std::string_view::npos;
    return unusable(e.what(), ours && !newer);
  }
}

HashCache HashCache::from_json(std::string_view text) {
  HashCache cache;
  State& st = *cache.state_;
  auto insert = [&st](std::string&& path, const Entry& e) {
    path.shrink_to_fit();  // the parser's buffer grew by doubling; a million keys feel it
    st.shard_for(path).map.insert_or_assign(std::move(path), e);  // not shared yet: no lock
  };
  CacheSax<decltype(insert)> sax(insert);
  bool ok = nlohmann::json::sax_parse(text.data(), text.data() + text.size(), &sax);
  if (!ok) fail("invalid hash cache: {}", sax.error.empty() ? "not valid JSON" : sax.error);
  if (!sax.saw_format) fail("invalid hash cache: no \"format\" field (not a wrapp hash cache)");
  if (!sax.saw_version) fail("invalid hash cache: no \"version\" field");
  if (!sax.saw_entries) fail("invalid hash cache: no \"entries\" field");
  return cache;
}

std::optional<ContentHash> HashCache::lookup(const std::string& abs_path, uint64_t size,
                                             int64_t mtime_ns, uint64_t inode) const {
  Shard& shard = state_->shard_for(abs_path);
  Digest value;
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.map.find(abs_path);
    if (it == shard.map.end()) return std::nullopt;
    const Entry& e = it->second;
    if (e.size != size || e.mtime_ns != mtime_ns || e.inode != inode) return std::nullopt;
    value = e.value;
  }
  return ContentHash(value);
}

void HashCache::insert(const std::string& abs_path, uint64_t size, int64_t mtime_ns, uint64_t inode,
                       const ContentHash& hash) {
  if (hash.empty()) fail("no hash given for '{}'", abs_path);
  Entry entry{size, mtime_ns, inode, hash.digest()};
  Shard& shard = state_->shard_for(abs_path);
  {
    std::lock_guard lock(shard.mu);
    auto [it, inserted] = shard.map.try_emplace(abs_path, entry);
    if (!inserted) {
      if (it->second == entry) return;
      it->second = entry;
    }
  }
  state_->dirty.store(true);
}

void HashCache::save(const std::string& path, bool force) const {
  if (state_->save_blocked) return;
  if (!force && !state_->dirty.load()) return;
  // Cleared before taking the snapshot: an insert racing with the save marks
  // the cache dirty again, so it is not lost from the next save.
  bool was_dirty = state_->dirty.exchange(false);
  try {
    util::write_file_atomically(path, to_json());
  } catch (...) {
    if (was_dirty) state_->dirty.store(true);
    throw;
  }
}

bool HashCache::dirty() const { return state_->dirty.load(); }

size_t HashCache::size() const {
  size_t n = 0;
  for (const Shard& shard : state_->shards) {
    std::lock_guard lock(shard.mu);
    n += shard.map.size();
  }
  return n;
}

std::string HashCache::to_json() const {
  std::string out;
  out.reserve(64 + size() * 200);
  out += "{\"format\": \"";
  out += kHashCacheFormat;
  out += "\", \"version\": ";
  append_int(out, kHashCacheVersion);
  out += ", \"entries\": {";
  bool first = true;
  for (const Shard& shard : state_->shards) {
    std::lock_guard lock(shard.mu);
    for (const auto& [path, entry] : shard.map) {
      if (!is_valid_utf8(path)) continue;  // not representable in JSON
      out += first ? "\n  " : ",\n  ";
      first = false;
      append_entry(out, path, entry);
    }
  }
  out += first ? "}}\n" : "\n}}\n";
  return out;
}

}  // namespace wrapp::model
