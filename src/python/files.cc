// Package files, whole files, hashing and ignore rules for the Python
// face: the C++ core's reader, writer, hasher and rule engine, so Python
// never re-implements a format, a hash or a match.
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/string_view.h>
#include <nlohmann/json.hpp>

#include "commands/file_content.h"
#include "storage/credentials.h"
#include "model/hash.h"
#include "model/ignore_rules.h"
#include "python/binding.h"
#include "util/error.h"

namespace wrapp::python {

namespace {

CommandParameters quiet() { return {}; }

nb::object read_package_info(const std::string& url, Runtime* runtime) {
  auto result = run_in_scope(runtime, nullptr, "", "read_package_info", quiet(), [&](commands::CommandContext& ctx) {
    auto info = commands::read_package_file(ctx, url);
    return info ? nlohmann::json::parse(info->serialize()) : nlohmann::json();
  });
  return to_python(result);
}

std::string write_package_info(const std::string& url, nb::object package, Runtime* runtime, bool dry_run) {
  std::string text = to_json_text(package);
  CommandParameters parameters;
  parameters.dry_run = dry_run;
  std::string written;
  run_in_scope(runtime, nullptr, "", "write_package_info", parameters, [&](commands::CommandContext& ctx) {
    written = commands::write_package_file(ctx, url, model::PackageInfo::parse(text, url));
    return nlohmann::json();
  });
  return written;
}

nb::object read_file(const std::string& url, Runtime* runtime) {
  std::optional<std::string> content;
  run_in_scope(runtime, nullptr, "", "read_file", quiet(), [&](commands::CommandContext& ctx) {
    content = commands::read_file_content(ctx, url);
    return nlohmann::json();
  });
  if (!content) return nb::none();
  return nb::bytes(content->data(), content->size());
}

void write_file(const std::string& url, nb::bytes data, Runtime* runtime, bool dry_run) {
  std::string content(data.c_str(), data.size());
  CommandParameters parameters;
  parameters.dry_run = dry_run;
  run_in_scope(runtime, nullptr, "", "write_file", parameters, [&](commands::CommandContext& ctx) {
    commands::write_file_content(ctx, url, content);
    return nlohmann::json();
  });
}

}  // namespace

void bind_files(nb::module_& m) {
  m.def("read_package_info", &read_package_info, nb::arg("url"), nb::arg("runtime").none() = nb::none(),
        "The package file at url, in the current format as JSON objects; None when there is none.");
  m.def("write_package_info", &write_package_info, nb::arg("url"), nb::arg("package"),
        nb::arg("runtime").none() = nb::none(), nb::arg("dry_run") = false,
        "Writes a package file (current format) atomically, replacing one there; returns the URL written.");
  m.def("read_file", &read_file, nb::arg("url"), nb::arg("runtime").none() = nb::none(),
        "The bytes of the file at url; None when there is none.");
  m.def("write_file", &write_file, nb::arg("url"), nb::arg("data"), nb::arg("runtime").none() = nb::none(),
        nb::arg("dry_run") = false, "Writes bytes at url atomically, replacing a file there.");

  m.def(
      "set_credentials",
      [](nb::list entries) {
        std::vector<storage::Credential> credentials;
        for (nb::handle entry : entries) {
          nb::tuple t = nb::borrow<nb::tuple>(entry);
          storage::Credential c;
          c.server_url = nb::cast<std::string>(t[0]);
          c.kind = nb::cast<std::string>(t[1]);
          for (auto [key, value] : nb::borrow<nb::dict>(t[2])) {
            if (!nb::borrow(value).is_none()) c.fields[nb::cast<std::string>(key)] = nb::cast<std::string>(value);
          }
          credentials.push_back(std::move(c));
        }
        storage::replace_credentials(std::move(credentials));
      },
      nb::arg("entries"),
      "Replaces the credentials the storage backends use: a list of (server_url, kind, {field: value}), later "
      "entries winning. In memory only.");

  m.def(
      "credential_for",
      [](const std::string& url) -> nb::object {
        auto c = storage::find_credential(url);
        if (!c) return nb::none();
        nb::list names;
        for (const auto& [name, _] : c->fields) names.append(nb::str(name.c_str()));
        return nb::make_tuple(nb::str(c->server_url.c_str()), nb::str(c->kind.c_str()), names);
      },
      nb::arg("url"),
      "(server_url, kind, field names) of the credential the backends would use for url, or None; never a "
      "secret's value.");

  nb::class_<model::FlatHasher>(m, "Hasher", "The sha-256-flat content hash, fed in pieces of any size.")
      .def(nb::init<>())
      .def(
          "update",
          [](model::FlatHasher& h, nb::bytes data) {
            const char* p = data.c_str();
            size_t n = data.size();
            nb::gil_scoped_release release;
            h.update(p, n);
          },
          nb::arg("data"))
      .def(
          "finish", [](model::FlatHasher& h) { return std::make_pair(h.finish(), h.bytes()); },
          "(hash, size): 'sha-256-flat;1048576;<hex>' and the number of bytes.");

  nb::class_<model::IgnoreEvaluator>(m, "IgnoreRules",
                                     "Ignore rules in .gitignore syntax, with the built-in *.auto.png rule.")
      .def(
          "__init__",
          [](model::IgnoreEvaluator* self, const std::string& text) {
            new (self) model::IgnoreEvaluator();
            self->add_rules(model::IgnoreRules::parse(text));
          },
          nb::arg("text"))
      .def("is_ignored", &model::IgnoreEvaluator::is_ignored, nb::arg("relative_path"), nb::arg("is_dir") = false,
           "True when the path (relative to the rules' root, '/' separated) or a parent folder is ignored.")
      .def_prop_ro("size", &model::IgnoreEvaluator::size);
}

}  // namespace wrapp::python
