#include "cli/cli_tree.h"

#include <algorithm>
#include <set>

namespace wrapp::cli {

namespace {

bool is_number_type(const std::string& type) {
  return type == "INT" || type == "UINT" || type == "FLOAT" || type == "NUMBER" || type == "FLOAT_RANGE";
}

// "--package_name" and "package_name" -> "package-name".
std::string plain_name(std::string name) {
  name.erase(0, name.find_first_not_of('-'));
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// What the values of an argument are, from its name: the naming rule gives
// package names, versions and repositories the same few names everywhere
// (package_name, version, repo, --repo, source_repo, --template-version...),
// and the options naming a version with all it needs (--package, --dependency)
// take NAME VERSION REPO [PATH]. Every other value is a path (most of
// wrapp's values are files, folders or URLs) unless it is a number, one of a
// fixed set, or one of the few free texts below.
std::vector<ValueKind> value_kinds(const std::string& raw_name, const std::string& type, bool has_choices,
                                   int values) {
  static const std::set<std::string> kFreeText = {"auth", "repo-mapping", "pattern", "external-url"};
  std::string name = plain_name(raw_name);
  std::vector<ValueKind> kinds;
  for (int i = 0; i < values; ++i) {
    ValueKind kind = ValueKind::kPath;
    if (has_choices) {
      kind = ValueKind::kChoice;
    } else if (is_number_type(type)) {
      kind = ValueKind::kNumber;
    } else if (kFreeText.count(name)) {
      kind = ValueKind::kText;
    } else if (name == "package" || name == "package-name" || name == "dependency") {
      static const ValueKind kLocation[] = {ValueKind::kPackage, ValueKind::kVersion, ValueKind::kRepository};
      kind = i < 3 ? kLocation[i] : ValueKind::kText;  // a dependency's RELATIVE_PATH is inside the install folder
    } else if (name == "version" || ends_with(name, "-version")) {
      kind = ValueKind::kVersion;
    } else if (name.find("repo") != std::string::npos) {
      kind = ValueKind::kRepository;
    }
    kinds.push_back(kind);
  }
  return kinds;
}

// CLI11's type name: "TEXT", "UINT:INT in [1 - 100000]", "TEXT:{off,normal,verbose}".
void split_type_name(const std::string& full, ArgumentInfo& a) {
  size_t colon = full.find(':');
  a.type = full.substr(0, colon);
  if (colon == std::string::npos) return;
  std::string rest = full.substr(colon + 1);
  size_t open = rest.find('{');
  size_t close = open == std::string::npos ? std::string::npos : rest.find('}', open);
  if (close != std::string::npos) {
    std::string set = rest.substr(open + 1, close - open - 1);
    for (size_t at = 0; at <= set.size();) {
      size_t comma = std::min(set.find(',', at), set.size());
      std::string value = set.substr(at, comma - at);
      if (!value.empty()) a.choices.push_back(value);
      at = comma + 1;
    }
    rest.erase(open, close - open + 1);
  }
  while (!rest.empty() && (rest.front() == ':' || rest.front() == ' ')) rest.erase(0, 1);
  while (!rest.empty() && (rest.back() == ':' || rest.back() == ' ')) rest.pop_back();
  a.constraint = rest;
}

ArgumentInfo describe_option(const CLI::Option& o) {
  ArgumentInfo a;
  a.positional = o.get_positional() && !o.nonpositional();
  for (const auto& s : o.get_snames()) a.short_names.push_back("-" + s);
  for (const auto& l : o.get_lnames()) a.long_names.push_back("--" + l);
  a.name = a.positional              ? o.get_name(true)
           : !a.long_names.empty()   ? a.long_names.front()
           : !a.short_names.empty()  ? a.short_names.front()
                                     : o.get_single_name();
  // A flag expects no value at all (CLI11: expected 0), whatever its type size.
  a.values = o.get_items_expected_max() == 0 ? 0 : std::max(0, o.get_type_size_max());
  if (a.values > 0) split_type_name(o.get_type_name(), a);
  a.description = o.get_description();
  a.default_value = o.get_default_str();
  a.envname = o.get_envname();
  a.group = o.get_group();
  a.required = o.get_required();
  a.repeatable = o.get_expected_max() > 1 || o.get_multi_option_policy() == CLI::MultiOptionPolicy::TakeAll;
  std::string kind_name = a.positional ? a.name : (a.long_names.empty() ? a.name : a.long_names.front());
  a.kinds = value_kinds(kind_name, a.type, !a.choices.empty(), a.values);
  return a;
}

bool visible(const CLI::Option* o) { return !o->get_group().empty(); }

}  // namespace

std::vector<std::string> ArgumentInfo::names() const {
  std::vector<std::string> all = short_names;
  all.insert(all.end(), long_names.begin(), long_names.end());
  return all;
}

AppInfo describe_app(const CLI::App& app) {
  AppInfo info;
  info.name = app.get_name();
  info.description = app.get_description();
  info.footer = app.get_footer();
  for (const CLI::Option* o : app.get_options()) {
    if (visible(o)) info.options.push_back(describe_option(*o));
  }
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); })) {
    CommandInfo c;
    c.name = sub->get_name();
    c.description = sub->get_description();
    c.footer = sub->get_footer();
    for (const CLI::Option* o : sub->get_options()) {
      if (!visible(o)) continue;
      ArgumentInfo a = describe_option(*o);
      if (a.positional) {
        c.positionals.push_back(std::move(a));
        continue;
      }
      if (std::find(c.groups.begin(), c.groups.end(), a.group) == c.groups.end()) c.groups.push_back(a.group);
      c.options.push_back(std::move(a));
    }
    // --help lists the options group by group, each in the order they were added.
    auto rank = [&](const ArgumentInfo& a) { return std::find(c.groups.begin(), c.groups.end(), a.group); };
    std::stable_sort(c.options.begin(), c.options.end(),
                     [&](const ArgumentInfo& x, const ArgumentInfo& y) { return rank(x) < rank(y); });
    info.commands.push_back(std::move(c));
  }
  return info;
}

std::string summary(const std::string& description) {
  constexpr size_t kMax = 80;
  std::string s = description.substr(0, description.find('\n'));
  // The first clause: up to "; " or the end of the first sentence (not "e.g. ").
  for (size_t at = 0; at < s.size(); ++at) {
    bool stop = s.compare(at, 2, "; ") == 0 || s.compare(at, 2, ". ") == 0;
    if (stop && s[at] == '.' && at >= 3 && (s.compare(at - 3, 3, "e.g") == 0 || s.compare(at - 3, 3, "i.e") == 0)) {
      stop = false;
    }
    if (stop && at > 0) {
      s.erase(at);
      break;
    }
  }
  // A parenthesis the cut left open goes, with what it opened.
  if (std::count(s.begin(), s.end(), '(') > std::count(s.begin(), s.end(), ')')) {
    size_t open = s.rfind(" (");
    s.erase(open == std::string::npos ? s.rfind('(') : open);
  }
  // Still long: without its parentheses, then cut at a word.
  for (size_t open = s.find(" ("); s.size() > kMax && open != std::string::npos; open = s.find(" (")) {
    size_t close = s.find(')', open);
    if (close == std::string::npos) break;
    s.erase(open, close - open + 1);
  }
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s.size() > kMax) {
    size_t cut = s.rfind(' ', kMax - 3);
    if (cut == std::string::npos || cut == 0) {
      cut = kMax - 3;
      while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;  // not inside a UTF-8 character
    }
    s.erase(cut);
    while (!s.empty() && (s.back() == ',' || s.back() == ':' || s.back() == ' ')) s.pop_back();
    s += "...";
  }
  return s;
}

}  // namespace wrapp::cli
