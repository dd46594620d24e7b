// Patches: the operations that turn one file tree (A, the target) into
// another (B), computed three-way against their common ancestor (the
// baseline), and the conflicts where A and B both changed a path. The
// reference's wrapp.Patch and wrapp.datastructures.patch (PatchOpCopy,
// PatchOpDelete, ...); the file format is in docs/formats.md ("Patch
// files"). Pure data: no I/O here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/catalog.h"
#include "model/hash.h"

namespace wrapp {
class JsonWriter;
struct TextWindow;
}  // namespace wrapp

namespace wrapp::model {

// Written into every patch file as "wrapp_patch_version"; readers accept
// this and older versions and refuse newer ones.
inline constexpr int kPatchFormatVersion = 1;

// The reference's PatchOperationType, without create_folder: that one is
// only read, for backward compatibility, and dropped (writing a file makes
// its folders).
enum class PatchOperationType { kCopy, kDelete, kAddTag, kDeleteTag };
// "copy", "delete", "add_tag", "delete_tag": the JSON names.
const char* operation_type_name(PatchOperationType type);

struct PatchOperation {
  PatchOperationType type = PatchOperationType::kCopy;
  // The object the operation writes or removes: a copy's "dst", the
  // others' "url". An absolute URL.
  std::string url;
  // Copies only: where the bytes come from, and what they must be (empty /
  // nullopt when unknown: then nothing is verified against it).
  std::string src;
  ContentHash hash;
  std::optional<uint64_t> size;
  // Tag operations only: the tag, as its JSON text (Nucleus tags; kept as
  // read, never interpreted).
  std::string tag;

  bool operator==(const PatchOperation&) const = default;
};

// The reference's order of execution: every other operation first (copies,
// delete_tag), then the add_tag operations, then the deletes. 0, 1 or 2.
int execution_phase(PatchOperationType type);

// What create-patch did about a conflict.
enum class ConflictResolution {
  kUnresolved,  // no operation: A keeps its version, and the patch says so
  kIgnored,     // --ignore: no operation, on purpose
  kForced,      // --force: an operation takes B's version
};
// "unresolved", "ignored", "forced".
const char* resolution_name(ConflictResolution resolution);

// A path that A and B both changed since the baseline, each in its own way.
struct PatchConflict {
  std::string relative_path;
  // The path's state in each catalog: nullopt when absent there. Items
  // carry the full source_path (never left to be derived from a root).
  std::optional<CatalogItem> a, b, baseline;
  std::string reason;  // "changed in A, deleted in B", or install's reason
  ConflictResolution resolution = ConflictResolution::kUnresolved;
};

struct Patch {
  // The root URL of A: every operation's `url` must lie beneath it.
  std::string target;
  // In execution-phase order as computed (copies, then deletes; each by path).
  std::vector<PatchOperation> operations;
  std::vector<PatchConflict> conflicts;  // by path

  size_t unresolved_conflicts() const;

  // `origin` names the file in messages. Validates types, hashes, sizes and
  // operation types (FailedCommand code kBadInput naming the operation);
  // drops legacy create_folder operations. Does not judge URLs: whether an
  // operation lies beneath the target is the applier's check.
  static Patch parse(std::string_view text, std::string_view origin, const TextWindow* window = nullptr);
  void write(JsonWriter& writer) const;
  std::string serialize() const;
};

// How two states of one path compare. Equal needs proof: a hash known on
// both sides, and equal (sizes, where both are known, agreeing). Different
// needs proof too: a side absent, or a size or hash known on both sides
// that differs. Anything else (no hash on a side, sizes equal or unknown)
// is unknown. Null pointers are absent paths; two absent paths are equal.
enum class Sameness { kEqual, kDifferent, kUnknown };
Sameness compare_states(const CatalogItem* x, const CatalogItem* y);

// The three-way rule for one path, in this order (only proven equality
// counts):
//   A == B         -> nothing to do
//   A == baseline  -> take B's change (copy, or delete when B lacks it)
//   B == baseline  -> keep A's change (nothing to do)
//   otherwise      -> conflict
enum class ThreeWay { kNothing, kTakeB, kKeepA, kConflict };
ThreeWay three_way(const CatalogItem* a, const CatalogItem* b, const CatalogItem* baseline);

struct ThreeWayOptions {
  bool ignore = false;  // conflicts: no operation (resolution "ignored")
  bool force = false;   // conflicts: take B (resolution "forced")
};

// The patch that turns A into B, keeping A's own changes since the
// baseline. Copy sources are where B's bytes are (Catalog::fetch_url: the
// storage_map entry, else the item's URL); destinations are A's root joined
// with the path. Tags are not compared. Refuses (FailedCommand code kBadInput) an A without
// a root, a B item without a URL to copy from, and ignore with force.
Patch compute_patch(const Catalog& a, const Catalog& b, const Catalog& baseline, const ThreeWayOptions& options);

// root + "/" + the %-encoded relative path: where a path of a catalog
// rooted at `root` lies (as Catalog::source_of derives it).
std::string url_below(std::string_view root, std::string_view relative_path);

}  // namespace wrapp::model
