// model::Patch::parse on any input; what it accepts is bounded, and reads
// back the same after a rewrite.
#include "fuzz/fuzz_support.h"
#include "model/patch.h"
#include "util/paths.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wrapp;
  using fuzz::require;
  std::optional<model::Patch> p;
  if (!fuzz::accepted([&] { p = model::Patch::parse(fuzz::as_text(data, size), "fuzz.patch"); })) return 0;
  require(!p->target.empty(), "a patch without target accepted");
  for (const auto& op : p->operations) {
    require(!op.url.empty(), "an operation without url accepted");
    require(op.type != model::PatchOperationType::kCopy || !op.src.empty(), "a copy without src accepted");
  }
  for (const auto& c : p->conflicts) require(is_safe_relative_path(c.relative_path), "unsafe conflict path accepted");
  std::string once = p->serialize();
  model::Patch back = model::Patch::parse(once, "rewritten.patch");
  require(back.operations == p->operations && back.conflicts.size() == p->conflicts.size(),
          "a rewrite changed the patch");
  require(back.serialize() == once, "a rewrite changed the patch file");
  return 0;
}
