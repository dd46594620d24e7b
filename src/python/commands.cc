// run(): one command of the table by its command-line name, its options
// translated from a dict, run with the GIL released, its result as JSON.
#include <fmt/ranges.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nlohmann/json.hpp>

#include "python/binding.h"
#include "util/error.h"

namespace wrapp::python {

Fields::Fields(nb::dict dict, std::string command) : dict_(std::move(dict)), command_(std::move(command)) {}

bool Fields::has(const char* key) {
  used_.insert(key);
  return dict_.contains(key) && !nb::borrow(dict_[key]).is_none();
}

nb::object Fields::get(const char* key) { return nb::borrow(dict_[key]); }

std::string Fields::str(const char* key) {
  if (!has(key)) fail_with(ErrorCode::kBadInput, "{}: the parameter '{}' is required", command_, key);
  return nb::cast<std::string>(get(key));
}

std::string Fields::str_or(const char* key, std::string fallback) {
  return has(key) ? nb::cast<std::string>(get(key)) : std::move(fallback);
}

std::optional<std::string> Fields::opt_str(const char* key) {
  if (!has(key)) return std::nullopt;
  return nb::cast<std::string>(get(key));
}

bool Fields::flag(const char* key, bool fallback) { return has(key) ? nb::cast<bool>(get(key)) : fallback; }

std::vector<std::string> Fields::strings(const char* key) {
  std::vector<std::string> out;
  if (!has(key)) return out;
  for (nb::handle item : get(key)) out.push_back(nb::cast<std::string>(item));
  return out;
}

std::vector<std::pair<std::string, std::string>> Fields::string_pairs(const char* key) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!has(key)) return out;
  for (nb::handle item : get(key)) {
    nb::sequence pair = nb::borrow<nb::sequence>(item);
    if (nb::len(pair) != 2) fail_with(ErrorCode::kBadInput, "{}: each entry of '{}' is a pair", command_, key);
    out.emplace_back(nb::cast<std::string>(pair[0]), nb::cast<std::string>(pair[1]));
  }
  return out;
}

std::optional<std::string> Fields::json_text(const char* key) {
  if (!has(key)) return std::nullopt;
  return to_json_text(get(key));
}

model::IgnoreEvaluator::Predicate Fields::ignore_predicate(const char* key) {
  if (!has(key)) return {};
  auto callable = std::make_shared<PyRef>(get(key));
  return [callable](std::string_view relative_path, bool is_dir) {
    nb::gil_scoped_acquire gil;
    try {
      return nb::cast<bool>(callable->get()(nb::str(relative_path.data(), relative_path.size()), is_dir));
    } catch (nb::python_error& e) {
      fail_with(ErrorCode::kBadInput, "the ignore rules failed on '{}': {}", relative_path, e.what());
    } catch (nb::cast_error&) {
      fail_with(ErrorCode::kBadInput, "the ignore rules gave no bool for '{}'", relative_path);
    }
  };
}

std::shared_ptr<PyRef> Fields::callable(const char* key) {
  if (!has(key)) return nullptr;
  return std::make_shared<PyRef>(get(key));
}

void Fields::finish() {
  std::vector<std::string> unknown;
  for (auto [key, value] : dict_) {
    std::string name = nb::cast<std::string>(key);
    if (!used_.count(name)) unknown.push_back(name);
  }
  if (!unknown.empty()) {
    fail_with(ErrorCode::kBadInput, "{}: unknown parameter(s) {}", command_, fmt::join(unknown, ", "));
  }
}

namespace {

const std::map<std::string, CommandPreparer>& command_table() {
  static const auto table = [] {
    std::map<std::string, CommandPreparer> t;
    add_package_commands(t);
    add_file_commands(t);
    add_tree_commands(t);
    return t;
  }();
  return table;
}

nb::object run(Runtime* runtime, const std::string& command, nb::dict options, const exec::CancellationToken* token,
               const std::string& group, const std::string& job_name, CommandParameters parameters) {
  auto it = command_table().find(command);
  if (it == command_table().end()) fail_with(ErrorCode::kBadInput, "unknown command '{}'", command);
  Fields fields(std::move(options), command);
  PreparedCommand prepared = it->second(fields);
  fields.finish();
  nlohmann::json result = run_in_scope(runtime, token, group, job_name.empty() ? command : job_name, parameters,
                                       prepared);
  {
    // The options (and the Python callables they hold) go with the GIL held.
    PreparedCommand drop = std::move(prepared);
  }
  return to_python(result);
}

}  // namespace

void bind_commands(nb::module_& m) {
  m.def(
      "run",
      [](Runtime* runtime, const std::string& command, nb::dict options, const exec::CancellationToken* token,
         const std::string& group, const std::string& job_name, bool dry_run, bool debug, bool verbose,
         std::optional<std::string> log_file, std::optional<std::string> hash_cache_file, nb::object log_callback) {
        CommandParameters p;
        p.dry_run = dry_run;
        p.debug = debug;
        p.verbose = verbose;
        p.log_file = std::move(log_file);
        p.hash_cache_file = std::move(hash_cache_file);
        p.log_callback = std::move(log_callback);
        return run(runtime, command, std::move(options), token, group, job_name, std::move(p));
      },
      nb::arg("runtime").none(), nb::arg("command"), nb::arg("options"), nb::arg("token").none() = nb::none(),
      nb::arg("group") = "", nb::arg("job_name") = "", nb::arg("dry_run") = false, nb::arg("debug") = false,
      nb::arg("verbose") = false, nb::arg("log_file") = nb::none(), nb::arg("hash_cache_file") = nb::none(),
      nb::arg("log_callback") = nb::none(),
      "Runs one command (its command-line name) with its C++ options; returns its result as JSON objects. "
      "Blocks with the GIL released.");
  nb::list names;
  for (const auto& [name, _] : command_table()) names.append(nb::str(name.c_str()));
  m.attr("COMMANDS") = names;
}

}  // namespace wrapp::python
