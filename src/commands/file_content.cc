#include "commands/file_content.h"

#include "commands/repository.h"
#include "storage/storage.h"
#include "util/error.h"

namespace wrapp::commands {

std::optional<std::string> read_file_content(CommandContext& ctx, const std::string& url) {
  storage::Url at = parse_location(url);
  return storage::read_all(ctx.store(at), at);
}

void write_file_content(CommandContext& ctx, const std::string& url, const std::string& content) {
  storage::Url at = parse_location(url);
  storage::WriteOptions options;
  options.overwrite = true;
  options.durable = ctx.durable;
  options.size_hint = content.size();
  if (ctx.dry_run) return;
  storage::write_all(ctx.store(at), at, content, options);
}

std::optional<model::PackageInfo> read_package_file(CommandContext& ctx, const std::string& url) {
  return read_package_info(ctx, parse_location(url));
}

std::string write_package_file(CommandContext& ctx, const std::string& url, const model::PackageInfo& package) {
  storage::Url at = parse_location(url);
  // A name or version that is not safe as a path segment would lead later
  // commands astray; refused here as on every other write.
  model::check_name_and_version(package.name, package.version);
  std::string text = package.serialize();
  model::PackageInfo::parse(text, at.display());  // what wrapp writes, it must read back
  write_file_content(ctx, at.str(), text);
  return at.str();
}

}  // namespace wrapp::commands
