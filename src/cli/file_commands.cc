// Subcommands on files and catalogs: catalog, diff, count, ls, cat, get.
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include <fmt/format.h>
#include <fmt/ranges.h>
#include "commands/catalog.h"
#include "commands/files.h"
#include "exec/progress_printer.h"
#include "util/error.h"

namespace wrapp::cli {

namespace {

std::string dump(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void add_catalog(Cli& cli) {
  auto* sub = cli.app.add_subcommand("catalog", "Catalog a folder: every file with its size and hash, as JSON");
  auto o = std::make_shared<commands::CatalogOptions>();
  auto output = std::make_shared<std::string>();
  auto ignore_file = std::make_shared<std::string>();
  auto file_list = std::make_shared<std::string>();
  auto no_checkpoints = std::make_shared<bool>(false);
  // ROOT_DIR is left out with --file-list: `catalog --file-list L OUT.json`.
  sub->add_option("root_dir", o->root_dir, "Folder to catalog (not with --file-list)");
  sub->add_option("output", *output, "Catalog file to write (replaced if it exists); required");
  sub->add_option("--file-list", *file_list,
                  "TSV file: <base URL><tab><file URL> per line (as 'ls --output-format tsv' prints); catalog "
                  "those files, the base URL as root");
  sub->add_flag("--skip-missing", o->skip_missing, "With --file-list: leave out listed files that do not exist");
  sub->add_flag("--local-hash", o->local_hash,
                "Allow reading files to hash them where the storage keeps no hash (every storage of this build "
                "is hashed by reading)");
  sub->add_flag("--tags", o->tags, "Also catalog tags (no storage of this build has tags)");
  sub->add_flag("--no-checkpoints", *no_checkpoints, "Do not record checkpoints (no storage of this build has them)");
  sub->add_option("--ignore-file", *ignore_file, "Ignore rules instead of ROOT_DIR/.wrappignore");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, o, output, ignore_file, file_list] {
    if (!ignore_file->empty()) o->ignore_file = *ignore_file;
    if (!file_list->empty()) {
      o->file_list = *file_list;
      // One positional given: it is the output (CLI11 fills ROOT_DIR first).
      if (output->empty()) std::swap(*output, o->root_dir);
    }
    if (output->empty()) throw CLI::RequiredError("output");
    o->output = *output;
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      if (o->tags) warn_no_tags("catalog");
      auto r = commands::catalog(ctx, *o);
      out(fmt::format("{} {} files ({}) into {}\n", ctx.dry_run ? "would catalog" : "cataloged", r.catalog.items.size(),
                      exec::format_bytes(r.catalog.total_size()), *output));
      return 0;
    });
  });
}

void add_diff(Cli& cli) {
  auto* sub = cli.app.add_subcommand(
      "diff", "Compare two catalogs: files only in A, only in B, and different (exit 1 when they differ)");
  auto a = std::make_shared<std::string>();
  auto b = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  sub->add_option("catalog_a", *a, "First catalog file")->required();
  sub->add_option("catalog_b", *b, "Second catalog file")->required();
  auto ignore_tags = std::make_shared<bool>(false);
  sub->add_flag("--ignore-tags", *ignore_tags, "Compare content only, not the items' tags");
  sub->add_flag("--json", *as_json, "Print machine-readable results");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, a, b, as_json, ignore_tags] {
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      auto r = commands::diff(ctx, {*a, *b, *ignore_tags});
      if (*as_json) {
        out(dump(commands::to_json(r)));
      } else {
        // As in a unified diff: what A has alone red, what B has alone green.
        for (const auto& i : r.diff.only_in_a) out(colored("only in A:", Color::kRed) + " " + i.relative_path + "\n");
        for (const auto& i : r.diff.only_in_b) out(colored("only in B:", Color::kGreen) + " " + i.relative_path + "\n");
        for (const auto& p : r.diff.different) out(colored("different:", Color::kYellow) + " " + p.first.relative_path + "\n");
        if (r.identical()) out("catalogs are identical\n");
      }
      return r.identical() ? 0 : 1;
    });
  });
}

void add_count(Cli& cli) {
  auto* sub = cli.app.add_subcommand("count", "Count files, sizes and duplicated content in a catalog");
  auto file = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  sub->add_option("catalog_file", *file, "Catalog file")->required();
  sub->add_flag("--json", *as_json, "Print machine-readable results");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, file, as_json] {
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      auto c = commands::count(ctx, {*file});
      if (*as_json) {
        out(dump(commands::to_json(c)));
      } else {
        out(fmt::format("files: {}\nfolders: {}\nsize: {} ({} bytes)\nunique contents: {} ({})\n"
                        "duplicate files: {} ({} could be saved)\n",
                        c.files, c.folders, exec::format_bytes(c.bytes), c.bytes, c.unique_contents,
                        exec::format_bytes(c.unique_bytes), c.duplicate_files,
                        exec::format_bytes(c.bytes - c.unique_bytes)));
      }
      return 0;
    });
  });
}

void add_ls(Cli& cli) {
  auto* sub = cli.app.add_subcommand("ls", "List files and folders at a URL");
  auto o = std::make_shared<commands::LsOptions>();
  auto format = std::make_shared<std::string>("normal");
  sub->add_option("url", o->url, "Folder or file to list")->required();
  sub->add_flag("-r,--recursive", o->recursive, "List the whole subtree");
  sub->add_option("--pattern", o->patterns, "Glob on the relative path, case-sensitive; repeatable, any may match");
  sub->add_flag("--with-hash", o->with_hash, "Also hash every file");
  sub->add_option("--output-format", *format, "normal: one path per line; tsv: base URL, URL, size, hash; json")
      ->check(CLI::IsMember({"normal", "tsv", "json"}))
      ->capture_default_str();
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, o, format] {
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      auto r = commands::ls(ctx, *o);
      if (*format == "json") {
        out(dump(commands::to_json(r)));
        return 0;
      }
      for (const auto& i : r.items) {
        if (*format == "tsv") {
          out(fmt::format("{}\t{}\t{}\t{}\n", r.url, i.url, i.is_dir ? "" : std::to_string(i.size), i.hash));
        } else if (o->with_hash && !i.is_dir) {
          out(fmt::format("{}\t{}\n", i.relative_path, i.hash));
        } else {
          out(i.relative_path + (i.is_dir ? "/" : "") + "\n");
        }
      }
      return 0;
    });
  });
}

void add_cat(Cli& cli) {
  auto* sub = cli.app.add_subcommand("cat", "Print a file's content to standard output");
  auto url = std::make_shared<std::string>();
  sub->add_option("url", *url, "File to print")->required();
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, url] {
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      std::FILE* stream = content_stream();
      commands::CatOptions options{*url, [stream](std::string_view chunk) {
                                     if (std::fwrite(chunk.data(), 1, chunk.size(), stream) != chunk.size()) {
                                       throw_errno("cannot write", "standard output", errno);
                                     }
                                   }};
      commands::cat(ctx, options);
      if (std::fflush(stream) != 0) throw_errno("cannot write", "standard output", errno);
      return 0;
    });
  });
}

void add_get(Cli& cli) {
  auto* sub = cli.app.add_subcommand("get", "Download a file, or a folder recursively, to a local path");
  auto o = std::make_shared<commands::GetOptions>();
  auto local = std::make_shared<std::string>();
  sub->add_option("url", o->url, "File or folder to download")->required();
  sub->add_option("local_path", *local, "Where to write (default: the URL's name in the working directory)");
  sub->add_flag("--overwrite", o->overwrite, "Replace existing files");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, o, local] {
    if (!local->empty()) o->local_path = *local;
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      auto r = commands::get(ctx, *o);
      out(fmt::format("{} {} file(s)\n", ctx.dry_run ? "would download" : "downloaded", r.files));
      return 0;
    });
  });
}

}  // namespace

void add_file_commands(CommandRegistry& registry) {
  registry["catalog"] = add_catalog;
  registry["diff"] = add_diff;
  registry["count"] = add_count;
  registry["ls"] = add_ls;
  registry["cat"] = add_cat;
  registry["get"] = add_get;
}

}  // namespace wrapp::cli
