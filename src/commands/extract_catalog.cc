#include "commands/extract_catalog.h"

#include <unordered_map>

#include <nlohmann/json.hpp>

#include "commands/catalog.h"
#include "commands/item_source.h"
#include "commands/repository.h"
#include "util/error.h"

namespace wrapp::commands {

using storage::Url;

namespace {

std::string describe(const ExtractedPackage& p) {
  return describe_location(p.package, p.version, Url::parse(p.repository));
}

// The package file as an item at the path install writes it to, its bytes
// where they are in the repository.
model::CatalogItem wrapp_file_item(CommandContext& ctx, const RepoTreeNode& n) {
  auto doc = ctx.store(n.wrapp_file).read_document(n.wrapp_file);
  if (!doc) fail_with(ErrorCode::kNotFound, "'{}' vanished while it was read", n.wrapp_file.display());
  std::string_view text = doc->text();
  model::CatalogItem item;
  item.relative_path = model::wrapp_file_name(n.package);
  item.set_source_path(n.wrapp_file.str());
  item.hash = model::flat_hash(text.data(), text.size());
  item.size = text.size();
  return item;
}

// "a" and "a/b" cannot both be installed: one package's file stands where
// another's folder goes.
void refuse_file_folder_clashes(const model::Catalog& catalog, const std::unordered_map<std::string, size_t>& owner,
                                const std::vector<ExtractedPackage>& packages) {
  for (const auto& item : catalog.items) {
    const std::string& p = item.relative_path;
    for (size_t slash = p.find('/'); slash != std::string::npos; slash = p.find('/', slash + 1)) {
      auto it = owner.find(p.substr(0, slash));
      if (it == owner.end()) continue;
      fail_with(ErrorCode::kConflict, "'{}' is a file of {} and a folder of '{}' of {}: they cannot be installed together",
                shorten_for_message(it->first), describe(packages[it->second]), shorten_for_message(p),
                describe(packages[owner.at(p)]));
    }
  }
}

}  // namespace

ExtractCatalogResult flatten_package_tree(CommandContext& ctx, const RepoTreeNode& top, bool recursive,
                                          bool add_wrapp_files) {
  ExtractCatalogResult result;
  result.catalog.root = top.info.catalog && !top.info.catalog->root.empty()
                            ? top.info.catalog->root
                            : version_url(top.repository, top.package, top.version).str();
  std::unordered_map<std::string, size_t> owner;   // item path -> package index
  std::unordered_map<std::string, size_t> placed;  // install path + name -> package index
  walk_repo_tree(ctx, top, [&](const RepoTreeNode& n) {
    size_t index = result.packages.size();
    ExtractedPackage p{n.package, n.version, n.repository.str(), n.wrapp_file.str(), n.install_path, 0};
    auto [at, first] = placed.emplace(n.install_path + '\n' + n.package, index);
    if (!first) {
      const ExtractedPackage& other = result.packages[at->second];
      // The same version reached twice at one place (two parents share a
      // subpackage) is installed once.
      if (other.version == p.version && other.repository == p.repository) return false;
      fail_with(ErrorCode::kConflict, "package '{}' is installed at '{}' twice: {} and {}", n.package,
                n.install_path.empty() ? "." : n.install_path, describe(other), describe(p));
    }
    auto add = [&](model::CatalogItem item) {
      item.relative_path = join_relative(n.install_path, item.relative_path);
      auto [it, inserted] = owner.emplace(item.relative_path, index);
      if (!inserted) {
        fail_with(ErrorCode::kConflict, "'{}' is installed by two packages: {} and {}",
                  shorten_for_message(item.relative_path), describe(result.packages[it->second]), describe(p));
      }
      result.catalog.items.push_back(std::move(item));
      ++p.items;
    };
    result.packages.push_back(p);  // for messages naming it; counted below
    if (n.info.catalog) {
      const model::Catalog& c = *n.info.catalog;
      check_no_marker_item(c, n.package, n.wrapp_file.display());
      // Where the bytes are, by the rule every reader uses (item_source.h):
      // a repository moved by hand is read where it is now.
      ItemSources sources(c, n.wrapp_file, fmt::format("package '{}' {}", n.package, n.version));
      for (const auto& item : c.items) {
        model::CatalogItem out = item;
        std::vector<Url> places = sources.candidates(item);
        out.set_source_path((places.size() == 1 ? places.front() : sources.locate(ctx, item).url).str());
        add(std::move(out));
      }
    }
    if (add_wrapp_files) add(wrapp_file_item(ctx, n));
    result.packages[index].items = p.items;
    return recursive;
  });
  result.catalog.sort_and_check(top.wrapp_file.display());
  refuse_file_folder_clashes(result.catalog, owner, result.packages);
  result.catalog.compact();
  return result;
}

ExtractCatalogResult extract_catalog(CommandContext& ctx, const ExtractCatalogOptions& opt) {
  model::check_name_and_version(opt.package, opt.version);
  Url repo = parse_location(opt.repo);
  std::optional<Url> output;
  if (opt.output) {
    output = parse_location(*opt.output);
    if (!opt.overwrite && ctx.store(*output).stat(*output)) {
      fail_with(ErrorCode::kAlreadyExists, "'{}' already exists: pass --overwrite to replace it", output->display());
    }
  }
  RepoTreeNode top = read_repo_tree_top(ctx, opt.package, opt.version, repo);
  ExtractCatalogResult result = flatten_package_tree(ctx, top, opt.recursive, opt.add_wrapp_files);
  if (output && !ctx.dry_run) {
    write_catalog_file(ctx, result.catalog, output->str(), opt.overwrite);
    result.output = output->str();
  }
  return result;
}

nlohmann::json to_json(const ExtractCatalogResult& r) {
  nlohmann::json packages = nlohmann::json::array();
  for (const auto& p : r.packages) {
    packages.push_back({{"package", p.package}, {"version", p.version}, {"repository", p.repository},
                        {"wrapp_file", p.wrapp_file}, {"install_path", p.install_path}, {"items", p.items}});
  }
  return {{"catalog_file", r.output.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.output)},
          {"items", r.catalog.items.size()},
          {"bytes", r.catalog.total_size()},
          {"packages", std::move(packages)}};
}

}  // namespace wrapp::commands
