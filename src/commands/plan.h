// Plans: what a command is about to do, as data. Commands build a plan
// first, print it for --dry-run, and otherwise execute it on the scheduler.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "model/hash.h"

namespace wrapp::commands {

struct PlanAction {
  enum class Kind {
    kCopy,    // write `relative_path` in the target from `from`
    kDelete,  // remove `relative_path` from the target
    kKeep,    // already right in the target; nothing to do
    kReuse,   // same content as `from`, a file of an earlier version: link or server-side copy, no transfer
  };
  Kind kind = Kind::kCopy;
  std::string relative_path;
  std::string from;  // source URL for kCopy and kReuse
  uint64_t size = 0;
  model::ContentHash hash;  // empty when it will be computed while copying
  // kReuse that fails to verify: copy from here instead ("" when none).
  std::string source_fallback;
};

struct Plan {
  std::string target;  // URL of the folder the plan writes into
  std::vector<PlanAction> actions;

  size_t count(PlanAction::Kind kind) const;
  uint64_t bytes(PlanAction::Kind kind) const;
  // One line per copy/delete ("copy <path> (<size>)"), then a summary line.
  std::string describe() const;
  nlohmann::json to_json() const;
};

const char* kind_name(PlanAction::Kind kind);

}  // namespace wrapp::commands
