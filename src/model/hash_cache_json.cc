#include "model/hash_cache_json.h"

#include "util/error.h"
#include "util/json_reader.h"

namespace wrapp::model {
namespace {

// Reads one entry object; false when it is malformed (it is then skipped,
// like an entry with an invalid hash: the file is still usable).
bool read_entry(JsonReader& r, FileStamp& stamp, Digest& value) {
  if (r.peek() != JsonReader::Type::kObject) {
    r.skip_value();
    return false;
  }
  r.begin_object();
  bool ok = true, has_size = false, has_mtime = false, has_ctime = false, has_inode = false, has_hash = false;
  std::string key, text;
  while (r.next_key(key)) {
    if (key == "size" || key == "inode") {
      uint64_t u;
      if (!r.read_uint64(u)) {
        r.skip_value();
        ok = false;
      } else if (key == "size") {
        stamp.size = u;
        has_size = true;
      } else {
        stamp.inode = u;
        has_inode = true;
      }
    } else if (key == "mtime_ns" || key == "ctime_ns") {
      bool is_mtime = key == "mtime_ns";
      if (!r.read_int64(is_mtime ? stamp.mtime_ns : stamp.ctime_ns)) {
        r.skip_value();
        ok = false;
      } else {
        (is_mtime ? has_mtime : has_ctime) = true;
      }
    } else if (key == "hash") {
      std::optional<Digest> d;
      if (r.peek() == JsonReader::Type::kString) {
        r.read_string(text);
        d = parse_hash(text);
      } else {
        r.skip_value();
      }
      if (d) {
        value = *d;
        has_hash = true;
      } else {
        ok = false;
      }
    } else {
      r.skip_value();  // fields of a later version: ignored
    }
  }
  return ok && has_size && has_mtime && has_ctime && has_inode && has_hash;
}

}  // namespace

void read_hash_cache_json(std::string_view text, const TextWindow* window,
                          const std::function<void(std::string&& path, const FileStamp&, const Digest&)>& on_entry) {
  JsonReader r(text, "invalid hash cache");
  r.use_window(window);
  JsonReader::Type top = r.peek();
  if (top == JsonReader::Type::kArray) fail("invalid hash cache: the document is a JSON array, not an object");
  if (top != JsonReader::Type::kObject) fail("invalid hash cache: the document is not a JSON object");
  r.begin_object();
  bool saw_format = false, saw_version = false, saw_entries = false;
  std::string key, value;
  while (r.next_key(key)) {
    if (key == "format" || key == "version") {
      auto t = r.peek();
      if (t == JsonReader::Type::kObject || t == JsonReader::Type::kArray) {
        fail("invalid hash cache: \"{}\" is not a scalar", key);
      }
    }
    if (key == "format") {
      saw_format = true;
      if (r.peek() != JsonReader::Type::kString) fail("invalid hash cache: \"format\" is not a string");
      r.read_string(value);
      if (value != kHashCacheMagic) {
        fail("invalid hash cache: foreign format \"{}\" (expected \"{}\")", shorten_for_message(value),
             kHashCacheMagic);
      }
    } else if (key == "version") {
      saw_version = true;
      uint64_t u;
      int64_t i;
      if (r.read_uint64(u)) {
        // A JSON cache of a higher version is another program's: the tables
        // that follow version 1 are not JSON.
        if (u > static_cast<uint64_t>(kHashCacheJsonVersion)) {
          fail_with(ErrorCode::kNewerFormat, "invalid hash cache: JSON version {} is not one this wrapp reads ({})",
                    u, kHashCacheJsonVersion);
        }
        if (u != static_cast<uint64_t>(kHashCacheJsonVersion)) fail("invalid hash cache: unsupported version {}", u);
      } else if (r.read_int64(i)) {
        fail("invalid hash cache: unsupported version {}", i);
      } else {
        fail("invalid hash cache: \"version\" is not an integer");
      }
    } else if (key == "entries") {
      saw_entries = true;
      if (r.peek() != JsonReader::Type::kObject) fail("invalid hash cache: \"entries\" is not an object");
      r.begin_object();
      std::string path;
      while (r.next_key(path)) {
        FileStamp stamp;
        Digest digest{};
        if (!read_entry(r, stamp, digest)) continue;
        if (path.empty() || path.size() > kMaxHashCacheKeyLength) continue;  // no file has such a name
        on_entry(std::move(path), stamp, digest);
      }
    } else {
      r.skip_value();  // unknown top-level field
    }
  }
  r.expect_end();
  if (!saw_format) fail("invalid hash cache: no \"format\" field (not a wrapp hash cache)");
  if (!saw_version) fail("invalid hash cache: no \"version\" field");
  if (!saw_entries) fail("invalid hash cache: no \"entries\" field");
}

}  // namespace wrapp::model
