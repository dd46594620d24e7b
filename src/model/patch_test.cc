#include "model/patch.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/hash.h"
#include "util/error.h"

namespace wrapp::model {
namespace {

using nlohmann::json;

// A path's state: nullopt = absent; a hash of `content` (or unknown) and a size.
struct State {
  std::optional<std::string> content;  // nullopt: absent
  bool hash_known = true;
  bool size_known = true;
};
State absent() { return {std::nullopt}; }
State file(const std::string& content) { return {content}; }
State no_hash(const std::string& content) { return {content, false, true}; }
State no_size(const std::string& content) { return {content, true, false}; }
State nothing_known(const std::string& content) { return {content, false, false}; }

std::optional<CatalogItem> item_of(const State& s, const std::string& path = "p") {
  if (!s.content) return std::nullopt;
  CatalogItem item;
  item.relative_path = path;
  if (s.hash_known) item.hash = flat_hash(s.content->data(), s.content->size());
  if (s.size_known) item.size = s.content->size();
  return item;
}

const CatalogItem* ptr(const std::optional<CatalogItem>& item) { return item ? &*item : nullptr; }

const char* name(ThreeWay w) {
  switch (w) {
    case ThreeWay::kNothing: return "nothing";
    case ThreeWay::kTakeB: return "take B";
    case ThreeWay::kKeepA: return "keep A";
    case ThreeWay::kConflict: return "conflict";
  }
  return "?";
}

struct Case {
  const char* what;
  State a, b, baseline;
  ThreeWay expected;
};

TEST(ThreeWay, TableOfCases) {
  const Case cases[] = {
      {"unchanged everywhere", file("1"), file("1"), file("1"), ThreeWay::kNothing},
      {"changed in B only", file("1"), file("2"), file("1"), ThreeWay::kTakeB},
      {"changed in A only", file("2"), file("1"), file("1"), ThreeWay::kKeepA},
      {"the same change in both", file("2"), file("2"), file("1"), ThreeWay::kNothing},
      {"different changes", file("2"), file("3"), file("1"), ThreeWay::kConflict},
      {"added in B", absent(), file("1"), absent(), ThreeWay::kTakeB},
      {"added in A", file("1"), absent(), absent(), ThreeWay::kKeepA},
      {"added in both, same", file("1"), file("1"), absent(), ThreeWay::kNothing},
      {"added in both, different", file("1"), file("2"), absent(), ThreeWay::kConflict},
      {"deleted in B", file("1"), absent(), file("1"), ThreeWay::kTakeB},
      {"deleted in A", absent(), file("1"), file("1"), ThreeWay::kKeepA},
      {"deleted in both", absent(), absent(), file("1"), ThreeWay::kNothing},
      {"deleted in A, changed in B", absent(), file("2"), file("1"), ThreeWay::kConflict},
      {"changed in A, deleted in B", file("2"), absent(), file("1"), ThreeWay::kConflict},
      {"deleted in A, B unchanged", absent(), file("1"), file("1"), ThreeWay::kKeepA},
      // Unknown hashes: equality needs a hash on both sides.
      {"A without hash, same size as the baseline; B changed", no_hash("1"), file("2"), file("1"),
       ThreeWay::kConflict},
      {"A without hash, other size; B changed", no_hash("12345"), file("2"), file("1"), ThreeWay::kConflict},
      {"B without hash, A unchanged", file("1"), no_hash("2"), file("1"), ThreeWay::kTakeB},
      {"B without hash, same size as the baseline; A changed", file("2"), no_hash("1"), file("1"),
       ThreeWay::kConflict},
      {"B without hash, other size; A changed", file("2"), no_hash("12345"), file("1"), ThreeWay::kConflict},
      {"baseline without hash, A and B differ", file("1"), file("2"), no_hash("1"), ThreeWay::kConflict},
      {"baseline without hash, A and B equal", file("1"), file("1"), no_hash("1"), ThreeWay::kNothing},
      {"no hash anywhere, all the same size", no_hash("1"), no_hash("1"), no_hash("1"), ThreeWay::kConflict},
      {"added in both, no hash", no_hash("1"), no_hash("1"), absent(), ThreeWay::kConflict},
      {"A without hash, B deleted", no_hash("1"), absent(), file("1"), ThreeWay::kConflict},
      {"A without hash, deleted in B and baseline lacks it", no_hash("1"), absent(), absent(), ThreeWay::kKeepA},
      // Unknown sizes: the hash decides.
      {"sizes unknown, hashes equal everywhere", no_size("1"), no_size("1"), no_size("1"), ThreeWay::kNothing},
      {"A's size unknown, B changed", no_size("1"), file("2"), file("1"), ThreeWay::kTakeB},
      {"nothing known of A, B changed", nothing_known("1"), file("2"), file("1"), ThreeWay::kConflict},
  };
  for (const auto& c : cases) {
    auto a = item_of(c.a), b = item_of(c.b), base = item_of(c.baseline);
    EXPECT_STREQ(name(three_way(ptr(a), ptr(b), ptr(base))), name(c.expected)) << c.what;
  }
}

TEST(ThreeWay, CompareStates) {
  auto one = item_of(file("1")), two = item_of(file("2")), one_no_hash = item_of(no_hash("1")),
       long_no_hash = item_of(no_hash("12345")), one_no_size = item_of(no_size("1"));
  EXPECT_EQ(compare_states(nullptr, nullptr), Sameness::kEqual);
  EXPECT_EQ(compare_states(ptr(one), nullptr), Sameness::kDifferent);
  EXPECT_EQ(compare_states(nullptr, ptr(one)), Sameness::kDifferent);
  EXPECT_EQ(compare_states(ptr(one), ptr(one)), Sameness::kEqual);
  EXPECT_EQ(compare_states(ptr(one), ptr(two)), Sameness::kDifferent);
  EXPECT_EQ(compare_states(ptr(one), ptr(one_no_hash)), Sameness::kUnknown);  // same size proves nothing
  EXPECT_EQ(compare_states(ptr(one), ptr(long_no_hash)), Sameness::kDifferent);  // another size does
  EXPECT_EQ(compare_states(ptr(one), ptr(one_no_size)), Sameness::kEqual);
  // A hash that matches with sizes that do not: the sizes are known to differ.
  CatalogItem odd = *one;
  odd.size = 99;
  EXPECT_EQ(compare_states(ptr(one), &odd), Sameness::kDifferent);
}

Catalog catalog(const std::string& root, const std::vector<std::pair<std::string, State>>& files) {
  Catalog c;
  c.root = root;
  for (const auto& [path, state] : files) {
    if (auto item = item_of(state, path)) c.items.push_back(*item);
  }
  c.sort_and_check("test");
  return c;
}

TEST(ComputePatch, OperationsAndConflicts) {
  Catalog base = catalog("file:///week1", {{"same.txt", file("s")},
                                           {"b-changed.txt", file("1")},
                                           {"a-changed.txt", file("1")},
                                           {"b-deleted.txt", file("1")},
                                           {"both changed.txt", file("1")},
                                           {"a-deleted-b-changed.txt", file("1")}});
  Catalog a = catalog("file:///target", {{"same.txt", file("s")},
                                         {"b-changed.txt", file("1")},
                                         {"a-changed.txt", file("local")},
                                         {"b-deleted.txt", file("1")},
                                         {"both changed.txt", file("local")},
                                         {"a-added.txt", file("mine")}});
  Catalog b = catalog("file:///week2", {{"same.txt", file("s")},
                                        {"b-changed.txt", file("22")},
                                        {"a-changed.txt", file("1")},
                                        {"both changed.txt", file("upstream")},
                                        {"a-deleted-b-changed.txt", file("2")},
                                        {"new/b added.txt", file("new")}});
  Patch p = compute_patch(a, b, base, {});
  EXPECT_EQ(p.target, "file:///target");
  ASSERT_EQ(p.operations.size(), 3u);
  // Copies first, by path, then the deletes.
  EXPECT_EQ(p.operations[0].type, PatchOperationType::kCopy);
  EXPECT_EQ(p.operations[0].src, "file:///week2/b-changed.txt");
  EXPECT_EQ(p.operations[0].url, "file:///target/b-changed.txt");
  EXPECT_EQ(p.operations[0].hash, flat_hash("22", 2));
  EXPECT_EQ(p.operations[0].size, 2u);
  EXPECT_EQ(p.operations[1].src, "file:///week2/new/b%20added.txt");
  EXPECT_EQ(p.operations[1].url, "file:///target/new/b%20added.txt");
  EXPECT_EQ(p.operations[2].type, PatchOperationType::kDelete);
  EXPECT_EQ(p.operations[2].url, "file:///target/b-deleted.txt");
  ASSERT_EQ(p.conflicts.size(), 2u);
  EXPECT_EQ(p.conflicts[0].relative_path, "a-deleted-b-changed.txt");
  EXPECT_EQ(p.conflicts[0].reason, "deleted in A, changed in B");
  EXPECT_FALSE(p.conflicts[0].a);
  ASSERT_TRUE(p.conflicts[0].b);
  EXPECT_EQ(p.conflicts[0].b->source_path(), "file:///week2/a-deleted-b-changed.txt");
  EXPECT_EQ(p.conflicts[0].baseline->hash, flat_hash("1", 1));
  EXPECT_EQ(p.conflicts[1].relative_path, "both changed.txt");
  EXPECT_EQ(p.conflicts[1].reason, "changed in A, changed in B");
  EXPECT_EQ(p.conflicts[1].a->source_path(), "file:///target/both%20changed.txt");
  EXPECT_EQ(p.conflicts[1].resolution, ConflictResolution::kUnresolved);
  EXPECT_EQ(p.unresolved_conflicts(), 2u);
}

TEST(ComputePatch, ForceTakesBOnConflictsAndIgnoreSkipsThem) {
  Catalog base = catalog("file:///base", {{"x", file("1")}, {"y", file("1")}});
  Catalog a = catalog("file:///a", {{"x", file("a")}, {"y", file("a")}});
  Catalog b = catalog("file:///b", {{"x", file("b")}});  // y deleted in B
  Patch forced = compute_patch(a, b, base, {.force = true});
  ASSERT_EQ(forced.operations.size(), 2u);
  EXPECT_EQ(forced.operations[0].type, PatchOperationType::kCopy);
  EXPECT_EQ(forced.operations[0].url, "file:///a/x");
  EXPECT_EQ(forced.operations[1].type, PatchOperationType::kDelete);
  EXPECT_EQ(forced.operations[1].url, "file:///a/y");
  ASSERT_EQ(forced.conflicts.size(), 2u);
  EXPECT_EQ(forced.conflicts[1].reason, "changed in A, deleted in B");
  for (const auto& c : forced.conflicts) EXPECT_EQ(c.resolution, ConflictResolution::kForced);
  EXPECT_EQ(forced.unresolved_conflicts(), 0u);

  Patch ignored = compute_patch(a, b, base, {.ignore = true});
  EXPECT_TRUE(ignored.operations.empty());
  ASSERT_EQ(ignored.conflicts.size(), 2u);
  for (const auto& c : ignored.conflicts) EXPECT_EQ(c.resolution, ConflictResolution::kIgnored);
  EXPECT_EQ(ignored.unresolved_conflicts(), 0u);

  try {
    compute_patch(a, b, base, {.ignore = true, .force = true});
    FAIL() << "ignore with force was accepted";
  } catch (const FailedCommand& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("contradict"), std::string::npos) << e.what();
  }
}

TEST(ComputePatch, UnknownHashesConflictAndNameTheReason) {
  Catalog base = catalog("file:///base", {{"x", file("1")}});
  Catalog a = catalog("file:///a", {{"x", no_hash("1")}});
  Catalog b = catalog("file:///b", {{"x", file("2")}});
  Patch p = compute_patch(a, b, base, {});
  EXPECT_TRUE(p.operations.empty());
  ASSERT_EQ(p.conflicts.size(), 1u);
  EXPECT_EQ(p.conflicts[0].reason, "maybe changed (no hash to compare) in A, changed in B");
}

TEST(ComputePatch, CopySourcesAreBsItemUrls) {
  Catalog base = catalog("file:///base", {});
  Catalog a = catalog("file:///a", {});
  Catalog b = catalog("", {{"x", file("1")}});
  try {
    compute_patch(a, b, base, {});
    FAIL() << "a copy without a source was planned";
  } catch (const FailedCommand& e) {
    EXPECT_NE(std::string(e.what()).find("nowhere to copy it from"), std::string::npos) << e.what();
  }
  b.items[0].set_source_path("file:///elsewhere/real-x");
  Patch p = compute_patch(a, b, base, {});
  ASSERT_EQ(p.operations.size(), 1u);
  EXPECT_EQ(p.operations[0].src, "file:///elsewhere/real-x");
  EXPECT_EQ(p.operations[0].url, "file:///a/x");
}

TEST(ComputePatch, CopiesReadFromBsStorageMap) {
  Catalog base = catalog("file:///base", {});
  Catalog a = catalog("file:///a", {});
  Catalog b = catalog("file:///b", {{"x", file("1")}, {"y", file("2")}});
  b.storage_map[b.items[0].hash.str()] = "blobs/one";
  b.storage_map[b.items[1].hash.str()] = "file:///cdn/two";
  Patch p = compute_patch(a, b, base, {});
  ASSERT_EQ(p.operations.size(), 2u);
  EXPECT_EQ(p.operations[0].src, "file:///b/blobs/one");
  EXPECT_EQ(p.operations[1].src, "file:///cdn/two");
}

TEST(ComputePatch, RefusesACatalogAWithoutRoot) {
  Catalog empty;
  try {
    compute_patch(empty, empty, empty, {});
    FAIL();
  } catch (const FailedCommand& e) {
    EXPECT_NE(std::string(e.what()).find("catalog A has no root"), std::string::npos) << e.what();
  }
}

// -- the file format ----------------------------------------------------------

Patch sample() {
  Patch p;
  p.target = "file:///t";
  PatchOperation copy;
  copy.src = "file:///b/x";
  copy.url = "file:///t/x";
  copy.hash = flat_hash("x", 1);
  copy.size = 1;
  PatchOperation unknown_copy;
  unknown_copy.src = "file:///b/y";
  unknown_copy.url = "file:///t/y";
  PatchOperation tag;
  tag.type = PatchOperationType::kAddTag;
  tag.url = "file:///t/x";
  tag.tag = R"({"name":"approved","value":null})";
  PatchOperation del;
  del.type = PatchOperationType::kDelete;
  del.url = "file:///t/z";
  p.operations = {copy, unknown_copy, tag, del};
  PatchConflict c;
  c.relative_path = "w";
  c.a = make_item("w", "file:///t/w", flat_hash("a", 1), 1);
  c.b = make_item("w", "file:///b/w", "", std::nullopt);
  c.reason = "changed in A, changed in B";
  c.resolution = ConflictResolution::kForced;
  p.conflicts = {c};
  return p;
}

// Every field of a conflict, as text.
std::string text_of(const PatchConflict& c) {
  auto side = [](const std::optional<CatalogItem>& i) {
    return i ? i->relative_path + "|" + i->source_path() + "|" + i->hash.str() + "|" +
                   (i->size ? std::to_string(*i->size) : "null")
             : "absent";
  };
  return c.relative_path + " " + c.reason + " " + resolution_name(c.resolution) + " " + side(c.a) + " " + side(c.b) +
         " " + side(c.baseline);
}

TEST(PatchFile, RoundTrip) {
  Patch p = sample();
  std::string text = p.serialize();
  json j = json::parse(text);
  EXPECT_EQ(j["wrapp_patch_version"], kPatchFormatVersion);
  EXPECT_EQ(j["target"], "file:///t");
  EXPECT_EQ(j["operations"][0],
            json({{"operation_type", "copy"}, {"src", "file:///b/x"}, {"dst", "file:///t/x"},
                  {"hash", flat_hash("x", 1)}, {"size", 1}, {"item_type", "file"}}));
  EXPECT_TRUE(j["operations"][1]["hash"].is_null());
  EXPECT_TRUE(j["operations"][1]["size"].is_null());
  EXPECT_EQ(j["operations"][2], json({{"operation_type", "add_tag"}, {"url", "file:///t/x"},
                                      {"tag", {{"name", "approved"}, {"value", nullptr}}}}));
  EXPECT_EQ(j["operations"][3], json({{"operation_type", "delete"}, {"url", "file:///t/z"}}));
  EXPECT_EQ(j["conflicts"][0]["resolution"], "forced");
  EXPECT_TRUE(j["conflicts"][0]["baseline"].is_null());
  EXPECT_TRUE(j["conflicts"][0]["b"]["hash"].is_null());

  Patch back = Patch::parse(text, "p.json");
  EXPECT_EQ(back.target, p.target);
  EXPECT_EQ(back.operations, p.operations);
  ASSERT_EQ(back.conflicts.size(), 1u);
  EXPECT_EQ(text_of(back.conflicts[0]), text_of(p.conflicts[0]));
  EXPECT_EQ(back.serialize(), text);
}

TEST(PatchFile, AnyKeyOrderUnknownKeysAndLegacyCreateFolder) {
  std::string text = R"({"operations": [
      {"url": "file:///t/dir", "operation_type": "create_folder"},
      {"dst": "file:///t/a", "src": "file:///s/a", "operation_type": "copy", "extra": [1, 2]},
      {"operation_type": "delete", "url": "file:///t/b", "hash": null}],
    "future_key": {"x": 1},
    "target": "file:///t"})";
  Patch p = Patch::parse(text, "p.json");
  ASSERT_EQ(p.operations.size(), 2u);  // create_folder dropped
  EXPECT_EQ(p.operations[0].type, PatchOperationType::kCopy);
  EXPECT_EQ(p.operations[0].url, "file:///t/a");
  EXPECT_TRUE(p.operations[0].hash.empty());
  EXPECT_EQ(p.operations[1].type, PatchOperationType::kDelete);
  EXPECT_TRUE(p.conflicts.empty());  // "conflicts" is optional
}

TEST(PatchFile, ExecutionPhasesFollowTheReference) {
  EXPECT_EQ(execution_phase(PatchOperationType::kCopy), 0);
  EXPECT_EQ(execution_phase(PatchOperationType::kDeleteTag), 0);
  EXPECT_EQ(execution_phase(PatchOperationType::kAddTag), 1);
  EXPECT_EQ(execution_phase(PatchOperationType::kDelete), 2);
}

std::string parse_error(const std::string& text) {
  try {
    Patch::parse(text, "/work/evil.patch");
    return "";
  } catch (const FailedCommand& e) {
    EXPECT_NE(std::string(e.what()).find("/work/evil.patch"), std::string::npos) << e.what();
    return e.what();
  }
}

std::string with_ops(const std::string& ops) { return R"({"target": "file:///t", "operations": [)" + ops + "]}"; }

TEST(PatchFile, HostileInputIsRefusedClearly) {
  struct Bad {
    std::string text;
    std::string message;  // a part of the expected message
  };
  const std::string deep = std::string(300, '[') + std::string(300, ']');
  const std::string huge(100000, 'x');
  const Bad cases[] = {
      {"", "not valid JSON"},
      {"[]", "not a patch file"},
      {"{\"target\": \"file:///t\", \"operations\": []} trailing", "not valid JSON"},
      {"{\"operations\": []}", "names no 'target'"},
      {"{\"target\": \"\", \"operations\": []}", "names no 'target'"},
      {"{\"target\": 7, \"operations\": []}", "'target' is not text"},
      {"{\"target\": \"file:///t\"}", "no 'operations' list"},
      {"{\"target\": \"file:///t\", \"operations\": {}}", "'operations' is not a list"},
      {"{\"target\": \"file:///t\", \"operations\": [], \"conflicts\": 1}", "'conflicts' is not a list"},
      {"{\"wrapp_patch_version\": 2, \"target\": \"file:///t\", \"operations\": []}", "upgrade wrapp"},
      {"{\"wrapp_patch_version\": 18446744073709551615, \"target\": \"t\", \"operations\": []}", "upgrade wrapp"},
      {"{\"wrapp_patch_version\": \"1\", \"target\": \"file:///t\", \"operations\": []}", "is not an integer"},
      {with_ops("7"), "operation 1 is not a JSON object"},
      {with_ops("{}"), "operation 1 has no 'operation_type'"},
      {with_ops(R"({"operation_type": "move", "url": "file:///t/a"})"), "unknown operation_type 'move'"},
      {with_ops(R"({"operation_type": 3})"), "'operation_type' is not text"},
      {with_ops(R"({"operation_type": "copy", "src": "file:///s/a"})"), "operation 1 (copy) has no 'dst'"},
      {with_ops(R"({"operation_type": "copy", "dst": "file:///t/a"})"), "has no 'src'"},
      {with_ops(R"({"operation_type": "copy", "src": "", "dst": "file:///t/a"})"), "has an empty 'src'"},
      {with_ops(R"({"operation_type": "copy", "src": 1, "dst": "file:///t/a"})"), "'src' is not text"},
      {with_ops(R"({"operation_type": "copy", "src": "s", "dst": "d", "size": -1})"), "not a non-negative integer"},
      {with_ops(R"({"operation_type": "copy", "src": "s", "dst": "d", "size": 1.5})"), "not a non-negative integer"},
      {with_ops(R"({"operation_type": "copy", "src": "s", "dst": "d", "size": "1"})"), "not a non-negative integer"},
      {with_ops(R"({"operation_type": "copy", "src": "s", "dst": "d", "hash": "md5;abc"})"), "unknown format"},
      {with_ops(R"({"operation_type": "copy", "src": "s", "dst": "d", "item_type": "folder"})"),
       "wrapp copies files only"},
      {with_ops(R"({"operation_type": "delete"})"), "operation 1 (delete) has no 'url'"},
      {with_ops(R"({"operation_type": "add_tag", "url": "file:///t/a"})"), "has no 'tag'"},
      {with_ops(R"({"operation_type": "delete", "url": ")" + huge + R"("})"), "100000 bytes long"},
      {with_ops(R"({"operation_type": "add_tag", "url": "u", "tag": ")" + huge + R"("})"), "'tag' is 100002 bytes"},
      {with_ops(R"({"operation_type": "add_tag", "url": "u", "tag": )" + deep + "}"), "nested deeper than 256"},
      {"{\"target\": \"t\", \"operations\": [], \"x\": " + deep + "}", "nested deeper than 256"},
      {"{\"target\": \"t\", \"operations\": [], \"conflicts\": [{\"relative_path\": \"../x\"}]}", "unsafe path"},
      {"{\"target\": \"t\", \"operations\": [], \"conflicts\": [{}]}", "conflict 1 has no 'relative_path'"},
      {"{\"target\": \"t\", \"operations\": [], \"conflicts\": [{\"relative_path\": \"x\", \"a\": 1}]}",
       "'a' is not a JSON object or null"},
      {"{\"target\": \"t\", \"operations\": [], \"conflicts\": [{\"relative_path\": \"x\", \"resolution\": \"won\"}]}",
       "unknown resolution 'won'"},
      {"{\"target\": \"t\", \"operations\": [], \"conflicts\": [{\"b\": {\"size\": true}, \"relative_path\": \"x\"}]}",
       "conflict 1's 'b.size' is not a non-negative integer"},
  };
  for (const auto& c : cases) {
    std::string message = parse_error(c.text);
    EXPECT_NE(message.find(c.message), std::string::npos)
        << "input: " << shorten_for_message(c.text, 200) << "\nmessage: " << message;
    EXPECT_LT(message.size(), 2000u) << "a message echoes its input whole";
  }
}

TEST(PatchFile, MalformedInputIsBadInput) {
  try {
    Patch::parse(with_ops(R"({"operation_type": "rename"})"), "p");
    FAIL();
  } catch (const FailedCommand& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
  }
}

}  // namespace
}  // namespace wrapp::model
