#include "commands/plan.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "exec/progress_printer.h"

namespace wrapp::commands {

const char* kind_name(PlanAction::Kind kind) {
  switch (kind) {
    case PlanAction::Kind::kCopy: return "copy";
    case PlanAction::Kind::kDelete: return "delete";
    case PlanAction::Kind::kKeep: return "keep";
    case PlanAction::Kind::kReuse: return "reuse";
  }
  return "?";
}

size_t Plan::count(PlanAction::Kind kind) const {
  size_t n = 0;
  for (const auto& a : actions) n += a.kind == kind;
  return n;
}

uint64_t Plan::bytes(PlanAction::Kind kind) const {
  uint64_t n = 0;
  for (const auto& a : actions) n += a.kind == kind ? a.size : 0;
  return n;
}

std::string Plan::describe() const {
  std::string out;
  for (const auto& a : actions) {
    if (a.kind == PlanAction::Kind::kCopy) {
      out += fmt::format("copy    {} ({})\n", a.relative_path, exec::format_bytes(a.size));
    } else if (a.kind == PlanAction::Kind::kDelete) {
      out += fmt::format("delete  {}\n", a.relative_path);
    } else if (a.kind == PlanAction::Kind::kReuse) {
      out += fmt::format("reuse   {} ({}, from {})\n", a.relative_path, exec::format_bytes(a.size), a.from);
    }
  }
  out += fmt::format("plan for {}: {} to copy ({}), {} reused from an earlier version ({}), {} to delete, {} unchanged\n",
                     target, count(PlanAction::Kind::kCopy), exec::format_bytes(bytes(PlanAction::Kind::kCopy)),
                     count(PlanAction::Kind::kReuse), exec::format_bytes(bytes(PlanAction::Kind::kReuse)),
                     count(PlanAction::Kind::kDelete), count(PlanAction::Kind::kKeep));
  return out;
}

nlohmann::json Plan::to_json() const {
  nlohmann::json actions_json = nlohmann::json::array();
  for (const auto& a : actions) {
    nlohmann::json j = {{"action", kind_name(a.kind)}, {"relative_path", a.relative_path}, {"size", a.size}};
    if (!a.from.empty()) j["from"] = a.from;
    if (!a.hash.empty()) j["hash"] = a.hash.str();
    actions_json.push_back(std::move(j));
  }
  return {{"target", target}, {"actions", std::move(actions_json)}};
}

}  // namespace wrapp::commands
