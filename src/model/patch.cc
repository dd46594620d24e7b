#include "model/patch.h"

#include <fmt/format.h>

#include "model/catalog_json.h"
#include "util/error.h"
#include "util/json_reader.h"
#include "util/json_writer.h"
#include "util/paths.h"

namespace wrapp::model {

namespace {

// Bounds of what a patch may hold, beyond the reader's nesting bound: no
// URL is longer (a path of kMaxPathBytes, every byte %-encoded, below a
// root of as much again), no tag or reason text needs more.
constexpr size_t kMaxUrlBytes = 4 * kMaxPathBytes;
constexpr size_t kMaxTagBytes = 64 * 1024;
constexpr size_t kMaxReasonBytes = 4096;

// Malformed input: FailedCommand code kBadInput, "<origin>: <what>".
template <typename... Args>
[[noreturn]] void bad(std::string_view origin, fmt::format_string<Args...> f, Args&&... args) {
  throw FailedCommand(fmt::format("{}: {}", origin, fmt::format(f, std::forward<Args>(args)...)),
                      ErrorCode::kBadInput);
}

// A string member no longer than `max` bytes; `what` names it in messages.
std::string bounded_string(JsonReader& r, std::string_view what, size_t max) {
  if (r.peek() != JsonReader::Type::kString) bad(r.origin(), "{} is not text", what);
  std::string value = r.read_string();
  if (value.size() > max) {
    bad(r.origin(), "{} is {} bytes long, more than the {} it may have ('{}')", what, value.size(), max,
        shorten_for_message(value, 64));
  }
  return value;
}

ContentHash read_hash(JsonReader& r, std::string_view what) {
  if (r.try_null()) return {};
  std::string text = bounded_string(r, what, 256);
  if (text.empty()) return {};
  auto digest = parse_hash(text);
  if (!digest) bad(r.origin(), "{} is in an unknown format: '{}'", what, shorten_for_message(text));
  return ContentHash(*digest);
}

std::optional<uint64_t> read_size(JsonReader& r, std::string_view what) {
  if (r.try_null()) return std::nullopt;
  uint64_t n;
  if (r.peek() != JsonReader::Type::kNumber || !r.read_uint64(n)) {
    bad(r.origin(), "{} is not a non-negative integer", what);
  }
  return n;
}

bool parse_type(std::string_view name, PatchOperationType& type) {
  for (auto t : {PatchOperationType::kCopy, PatchOperationType::kDelete, PatchOperationType::kAddTag,
                 PatchOperationType::kDeleteTag}) {
    if (name == operation_type_name(t)) {
      type = t;
      return true;
    }
  }
  return false;
}

// One element of "operations"; false for a legacy create_folder (dropped).
bool read_operation(JsonReader& r, size_t index, PatchOperation& op) {
  std::string where = fmt::format("operation {}", index + 1);
  if (r.peek() != JsonReader::Type::kObject) bad(r.origin(), "{} is not a JSON object", where);
  r.begin_object();
  std::optional<std::string> type, src, dst, url, tag, item_type;
  ContentHash hash;
  std::optional<uint64_t> size;
  std::string key;
  while (r.next_key(key)) {
    if (key == "operation_type") {
      type = bounded_string(r, where + "'s 'operation_type'", 64);
    } else if (key == "src") {
      src = bounded_string(r, where + "'s 'src'", kMaxUrlBytes);
    } else if (key == "dst") {
      dst = bounded_string(r, where + "'s 'dst'", kMaxUrlBytes);
    } else if (key == "url") {
      url = bounded_string(r, where + "'s 'url'", kMaxUrlBytes);
    } else if (key == "hash") {
      hash = read_hash(r, where + "'s 'hash'");
    } else if (key == "size") {
      size = read_size(r, where + "'s 'size'");
    } else if (key == "item_type") {
      if (!r.try_null()) item_type = bounded_string(r, where + "'s 'item_type'", 64);
    } else if (key == "tag") {
      std::string_view text = r.skip_value();
      if (text.size() > kMaxTagBytes) {
        bad(r.origin(), "{}'s 'tag' is {} bytes long, more than the {} it may have", where, text.size(), kMaxTagBytes);
      }
      tag = std::string(text);
    } else {
      r.skip_value();
    }
  }
  if (!type) bad(r.origin(), "{} has no 'operation_type'", where);
  if (*type == "create_folder") return false;  // the reference's legacy operation: folders come with files
  if (!parse_type(*type, op.type)) {
    bad(r.origin(), "{} has an unknown operation_type '{}' (expected copy, delete, add_tag, delete_tag or create_folder)",
        where, shorten_for_message(*type, 64));
  }
  where += fmt::format(" ({})", *type);
  auto required = [&](std::optional<std::string>& value, std::string_view name) {
    if (!value) bad(r.origin(), "{} has no '{}'", where, name);
    if (value->empty()) bad(r.origin(), "{} has an empty '{}'", where, name);
    return std::move(*value);
  };
  if (op.type == PatchOperationType::kCopy) {
    op.src = required(src, "src");
    op.url = required(dst, "dst");
    op.hash = hash;
    op.size = size;
    if (item_type && *item_type != "file") {
      bad(r.origin(), "{} copies a '{}': wrapp copies files only", where, shorten_for_message(*item_type, 64));
    }
  } else {
    op.url = required(url, "url");
    if (op.type != PatchOperationType::kDelete) {
      if (!tag) bad(r.origin(), "{} has no 'tag'", where);
      op.tag = std::move(*tag);
    }
  }
  return true;
}

// One side of a conflict; `where` is "conflict N", `side` "a", "b" or "baseline".
std::optional<CatalogItem> read_side(JsonReader& r, const std::string& relative_path, const std::string& where,
                                     const std::string& side) {
  if (r.try_null()) return std::nullopt;
  auto what = [&](std::string_view field) { return fmt::format("{}'s '{}{}'", where, side, field); };
  if (r.peek() != JsonReader::Type::kObject) bad(r.origin(), "{} is not a JSON object or null", what(""));
  r.begin_object();
  CatalogItem item;
  item.relative_path = relative_path;
  std::string key;
  while (r.next_key(key)) {
    if (key == "source_path") {
      if (!r.try_null()) item.set_source_path(bounded_string(r, what(".source_path"), kMaxUrlBytes));
    } else if (key == "hash") {
      item.hash = read_hash(r, what(".hash"));
    } else if (key == "size") {
      item.size = read_size(r, what(".size"));
    } else {
      r.skip_value();
    }
  }
  return item;
}

PatchConflict read_conflict(JsonReader& r, size_t index) {
  std::string where = fmt::format("conflict {}", index + 1);
  if (r.peek() != JsonReader::Type::kObject) bad(r.origin(), "{} is not a JSON object", where);
  r.begin_object();
  PatchConflict c;
  bool has_path = false;
  // The sides may come before the path: read them as text first.
  std::string sides[3];
  bool has_side[3] = {false, false, false};
  const char* side_names[3] = {"a", "b", "baseline"};
  std::string key;
  while (r.next_key(key)) {
    if (key == "relative_path") {
      c.relative_path = bounded_string(r, where + "'s 'relative_path'", kMaxPathBytes);
      if (std::string_view problem = relative_path_problem(c.relative_path); !problem.empty()) {
        bad(r.origin(), "{} names an unsafe path '{}' ({})", where, shorten_for_message(c.relative_path), problem);
      }
      has_path = true;
    } else if (key == "reason") {
      if (!r.try_null()) c.reason = bounded_string(r, where + "'s 'reason'", kMaxReasonBytes);
    } else if (key == "resolution") {
      std::string name = bounded_string(r, where + "'s 'resolution'", 64);
      bool known = false;
      for (auto res : {ConflictResolution::kUnresolved, ConflictResolution::kIgnored, ConflictResolution::kForced}) {
        if (name == resolution_name(res)) {
          c.resolution = res;
          known = true;
        }
      }
      if (!known) {
        bad(r.origin(), "{} has an unknown resolution '{}' (expected unresolved, ignored or forced)", where,
            shorten_for_message(name, 64));
      }
    } else {
      bool side = false;
      for (int s = 0; s < 3; ++s) {
        if (key == side_names[s]) {
          sides[s] = std::string(r.skip_value());
          has_side[s] = side = true;
        }
      }
      if (!side) r.skip_value();
    }
  }
  if (!has_path) bad(r.origin(), "{} has no 'relative_path'", where);
  std::optional<CatalogItem>* targets[3] = {&c.a, &c.b, &c.baseline};
  for (int s = 0; s < 3; ++s) {
    if (!has_side[s]) continue;
    JsonReader side(sides[s], r.origin());
    *targets[s] = read_side(side, c.relative_path, where, side_names[s]);
  }
  return c;
}

// "hash" and "size" members, null when unknown.
void write_hash_and_size(JsonWriter& w, const ContentHash& hash, const std::optional<uint64_t>& size) {
  w.key("hash");
  if (hash.empty()) {
    w.null();
  } else {
    w.string(hash.str());
  }
  w.key("size");
  if (size) {
    w.number(*size);
  } else {
    w.null();
  }
}

void write_side(JsonWriter& w, const std::optional<CatalogItem>& item) {
  if (!item) return w.null();
  w.begin_object();
  w.key("source_path");
  w.string(item->source_path());
  write_hash_and_size(w, item->hash, item->size);
  w.end_object();
}

}  // namespace

const char* operation_type_name(PatchOperationType type) {
  switch (type) {
    case PatchOperationType::kCopy: return "copy";
    case PatchOperationType::kDelete: return "delete";
    case PatchOperationType::kAddTag: return "add_tag";
    case PatchOperationType::kDeleteTag: return "delete_tag";
  }
  return "?";
}

int execution_phase(PatchOperationType type) {
  switch (type) {
    case PatchOperationType::kAddTag: return 1;
    case PatchOperationType::kDelete: return 2;
    default: return 0;
  }
}

const char* resolution_name(ConflictResolution resolution) {
  switch (resolution) {
    case ConflictResolution::kUnresolved: return "unresolved";
    case ConflictResolution::kIgnored: return "ignored";
    case ConflictResolution::kForced: return "forced";
  }
  return "?";
}

size_t Patch::unresolved_conflicts() const {
  size_t n = 0;
  for (const auto& c : conflicts) n += c.resolution == ConflictResolution::kUnresolved;
  return n;
}

Patch Patch::parse(std::string_view text, std::string_view origin, const TextWindow* window) {
  JsonReader r(text, origin);
  const std::string& where = r.origin();
  auto version = peek_format_version(text, where, {"wrapp_patch_version"}, window);
  if (version.value > kPatchFormatVersion) {
    bad(where, "written by a newer wrapp (patch format newer than {}); upgrade wrapp", kPatchFormatVersion);
  }
  if (window && window->restart) window->restart();
  r.use_window(window);
  if (r.peek() != JsonReader::Type::kObject) bad(where, "not a patch file (expected a JSON object)");
  r.begin_object();
  Patch p;
  bool has_target = false, has_operations = false;
  std::string key;
  while (r.next_key(key)) {
    if (key == "wrapp_patch_version") {
      read_format_version(r, key);
    } else if (key == "target") {
      p.target = bounded_string(r, "'target'", kMaxUrlBytes);
      has_target = true;
    } else if (key == "operations") {
      if (r.peek() != JsonReader::Type::kArray) bad(where, "'operations' is not a list");
      r.begin_array();
      for (size_t i = 0; r.next_element(); ++i) {
        PatchOperation op;
        if (read_operation(r, i, op)) p.operations.push_back(std::move(op));
      }
      has_operations = true;
    } else if (key == "conflicts") {
      if (r.try_null()) continue;
      if (r.peek() != JsonReader::Type::kArray) bad(where, "'conflicts' is not a list");
      r.begin_array();
      for (size_t i = 0; r.next_element(); ++i) p.conflicts.push_back(read_conflict(r, i));
    } else {
      r.skip_value();
    }
  }
  r.expect_end();
  if (!has_target || p.target.empty()) bad(where, "the patch names no 'target' (the root URL of the tree it changes)");
  if (!has_operations) bad(where, "the patch has no 'operations' list");
  return p;
}

void Patch::write(JsonWriter& w) const {
  w.begin_object();
  w.key("wrapp_patch_version");
  w.number(static_cast<uint64_t>(kPatchFormatVersion));
  w.key("target");
  w.string(target);
  w.key("operations");
  w.begin_array();
  for (const auto& op : operations) {
    w.begin_object();
    w.key("operation_type");
    w.string(operation_type_name(op.type));
    if (op.type == PatchOperationType::kCopy) {
      w.key("src");
      w.string(op.src);
      w.key("dst");
      w.string(op.url);
      write_hash_and_size(w, op.hash, op.size);
      w.key("item_type");  // the reference's (deprecated, required) field
      w.string("file");
    } else {
      w.key("url");
      w.string(op.url);
      if (op.type != PatchOperationType::kDelete) {
        w.key("tag");
        w.raw(op.tag);
      }
    }
    w.end_object();
  }
  w.end_array();
  w.key("conflicts");
  w.begin_array();
  for (const auto& c : conflicts) {
    w.begin_object();
    w.key("relative_path");
    w.string(c.relative_path);
    w.key("reason");
    w.string(c.reason);
    w.key("resolution");
    w.string(resolution_name(c.resolution));
    w.key("a");
    write_side(w, c.a);
    w.key("b");
    write_side(w, c.b);
    w.key("baseline");
    write_side(w, c.baseline);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

std::string Patch::serialize() const {
  std::string out;
  JsonWriter w(out);
  write(w);
  out.push_back('\n');
  return out;
}

Sameness compare_states(const CatalogItem* x, const CatalogItem* y) {
  if (!x || !y) return !x && !y ? Sameness::kEqual : Sameness::kDifferent;
  if (x->size && y->size && *x->size != *y->size) return Sameness::kDifferent;
  if (x->hash.empty() || y->hash.empty()) return Sameness::kUnknown;
  return x->hash == y->hash ? Sameness::kEqual : Sameness::kDifferent;
}

ThreeWay three_way(const CatalogItem* a, const CatalogItem* b, const CatalogItem* baseline) {
  if (compare_states(a, b) == Sameness::kEqual) return ThreeWay::kNothing;
  if (compare_states(a, baseline) == Sameness::kEqual) return ThreeWay::kTakeB;
  if (compare_states(b, baseline) == Sameness::kEqual) return ThreeWay::kKeepA;
  return ThreeWay::kConflict;
}

std::string url_below(std::string_view root, std::string_view relative_path) {
  Catalog c;
  c.root = root;
  CatalogItem item;
  item.relative_path = relative_path;
  return c.source_of(item);
}

namespace {

// What one side did to the path since the baseline, for a conflict's reason.
std::string change_of(const CatalogItem* side, const CatalogItem* baseline) {
  if (!baseline) return "added";
  if (!side) return "deleted";
  return compare_states(side, baseline) == Sameness::kUnknown ? "maybe changed (no hash to compare)" : "changed";
}

// The item with its full URL (an empty one when the catalog cannot tell).
std::optional<CatalogItem> full_item(const Catalog& catalog, const CatalogItem* item) {
  if (!item) return std::nullopt;
  CatalogItem out = *item;
  if (out.source_path().empty() && !catalog.root.empty()) out.set_source_path(catalog.source_of(*item));
  return out;
}

}  // namespace

Patch compute_patch(const Catalog& a, const Catalog& b, const Catalog& baseline, const ThreeWayOptions& options) {
  if (options.ignore && options.force) {
    throw FailedCommand("ignore and force contradict each other: a conflict is either skipped or taken from B",
                        ErrorCode::kBadInput);
  }
  if (a.root.empty()) {
    throw FailedCommand("catalog A has no root: a patch needs the root URL of the tree it changes",
                        ErrorCode::kBadInput);
  }
  Patch p;
  p.target = a.root;
  std::vector<PatchOperation> deletes;
  auto take_b = [&](const std::string& path, const CatalogItem* in_b) {
    PatchOperation op;
    op.url = url_below(a.root, path);
    if (!in_b) {
      op.type = PatchOperationType::kDelete;
      deletes.push_back(std::move(op));
      return;
    }
    // Where B's bytes are (its storage_map entry, else its source_path):
    // never derived from a root B does not have.
    op.src = b.fetch_url(*in_b);
    if (b.root.empty() && in_b->source_path().empty() && op.src == b.source_of(*in_b)) {
      throw FailedCommand(fmt::format("catalog B has no root and no source_path for '{}': nowhere to copy it from",
                                      shorten_for_message(path)),
                          ErrorCode::kBadInput);
    }
    op.type = PatchOperationType::kCopy;
    op.hash = in_b->hash;
    op.size = in_b->size;
    p.operations.push_back(std::move(op));
  };

  size_t i = 0, j = 0, k = 0;
  const auto& ai = a.items;
  const auto& bi = b.items;
  const auto& ci = baseline.items;
  while (i < ai.size() || j < bi.size() || k < ci.size()) {
    // The smallest path not handled yet, and each catalog's item there.
    const std::string* path = nullptr;
    for (const std::string* candidate : {i < ai.size() ? &ai[i].relative_path : nullptr,
                                         j < bi.size() ? &bi[j].relative_path : nullptr,
                                         k < ci.size() ? &ci[k].relative_path : nullptr}) {
      if (candidate && (!path || *candidate < *path)) path = candidate;
    }
    std::string rel = *path;
    const CatalogItem* x = i < ai.size() && ai[i].relative_path == rel ? &ai[i++] : nullptr;
    const CatalogItem* y = j < bi.size() && bi[j].relative_path == rel ? &bi[j++] : nullptr;
    const CatalogItem* z = k < ci.size() && ci[k].relative_path == rel ? &ci[k++] : nullptr;
    switch (three_way(x, y, z)) {
      case ThreeWay::kNothing:
      case ThreeWay::kKeepA:
        break;
      case ThreeWay::kTakeB:
        take_b(rel, y);
        break;
      case ThreeWay::kConflict: {
        PatchConflict c;
        c.relative_path = rel;
        c.a = full_item(a, x);
        c.b = full_item(b, y);
        c.baseline = full_item(baseline, z);
        c.reason = change_of(x, z) + " in A, " + change_of(y, z) + " in B";
        if (options.force) {
          c.resolution = ConflictResolution::kForced;
          take_b(rel, y);
        } else if (options.ignore) {
          c.resolution = ConflictResolution::kIgnored;
        }
        p.conflicts.push_back(std::move(c));
        break;
      }
    }
  }
  for (auto& d : deletes) p.operations.push_back(std::move(d));
  return p;
}

}  // namespace wrapp::model
