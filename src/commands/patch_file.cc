#include "commands/patch_file.h"

#include <nlohmann/json.hpp>

#include "commands/repository.h"
#include "exec/progress_printer.h"
#include "util/error.h"

namespace wrapp::commands {

using storage::Url;

model::Patch read_patch_file(CommandContext& ctx, const Url& url) {
  std::string origin = url.display();
  auto patch = parse_document<model::Patch>(ctx, url, [&](std::string_view text, const TextWindow* window) {
    return model::Patch::parse(text, origin, window);
  });
  if (!patch) fail_with(ErrorCode::kNotFound, "patch file '{}' not found", origin);
  return std::move(*patch);
}

void refuse_existing_patch_file(CommandContext& ctx, const Url& url, bool overwrite) {
  if (overwrite) return;
  if (ctx.store(url).stat(url)) {
    fail_with(ErrorCode::kAlreadyExists, "patch file '{}' already exists; pass --overwrite to replace it",
              url.display());
  }
}

void write_patch_file(CommandContext& ctx, const model::Patch& patch, const Url& url, bool overwrite) {
  storage::WriteOptions options;
  options.overwrite = overwrite;
  try {
    write_json(ctx, url, options, [&](JsonWriter& w) { patch.write(w); });
  } catch (const FailedCommand& e) {
    // Appeared since it was looked for: the same message as before.
    if (e.code() == ErrorCode::kAlreadyExists) refuse_existing_patch_file(ctx, url, false);
    throw;
  }
}

nlohmann::json to_json(const model::Patch& patch) { return nlohmann::json::parse(patch.serialize()); }

namespace {

// A URL as a user reads it: the local path for file URLs, else as written.
std::string shown(const std::string& text) {
  try {
    return Url::parse(text).display();
  } catch (const FailedCommand&) {
    return text;
  }
}

}  // namespace

std::string describe(const model::PatchOperation& op) {
  const char* type = model::operation_type_name(op.type);
  switch (op.type) {
    case model::PatchOperationType::kCopy:
      return fmt::format("{} {} -> {}{}", type, shown(op.src), shown(op.url),
                         op.size ? " (" + exec::format_bytes(*op.size) + ")" : "");
    case model::PatchOperationType::kDelete:
      return fmt::format("{} {}", type, shown(op.url));
    default:
      return fmt::format("{} {} {}", type, shown(op.url), op.tag);
  }
}

std::string describe(const model::Patch& patch) {
  std::string out;
  for (const auto& op : patch.operations) out += describe(op) + "\n";
  for (const auto& c : patch.conflicts) {
    out += fmt::format("conflict {}: {} [{}]\n", c.relative_path, c.reason, model::resolution_name(c.resolution));
  }
  return out;
}

}  // namespace wrapp::commands
