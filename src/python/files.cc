// Package files, whole files, hashing and ignore rules for the Python
// face: the C++ core's reader, writer, hasher and rule engine, so Python
// never re-implements a format, a hash or a match.
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/string_view.h>
#include <nlohmann/json.hpp>

#include "commands/file_content.h"
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
  // Kept for the whole process: a static nb::object would be released after
  // Python ended, without the GIL.
  static nb::handle dumps = nb::object(nb::module_::import_("json").attr("dumps")).release();
  std::string text = nb::cast<std::string>(dumps(package));
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
