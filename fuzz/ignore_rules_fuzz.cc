// model::IgnoreRules::parse and matching on any input. The input is rules,
// then a NUL byte, then paths one a line: each is matched as a file and as
// a folder, alone and through an IgnoreEvaluator with its parents. Never
// throws; libFuzzer's -timeout catches matching that takes too long.
#include "fuzz/fuzz_support.h"
#include "model/ignore_rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wrapp;
  using fuzz::require;
  std::string_view text = fuzz::as_text(data, size);
  size_t split = text.find('\0');
  std::string_view rules_text = text.substr(0, split);
  std::string_view paths = split == std::string_view::npos ? "" : text.substr(split + 1);
  model::IgnoreRules rules = model::IgnoreRules::parse(rules_text);
  model::IgnoreEvaluator evaluator;
  evaluator.add_rules(model::IgnoreRules::parse(rules_text));
  require(evaluator.size() == rules.size(), "the evaluator lost rules");
  size_t pos = 0;
  while (pos <= paths.size()) {
    size_t nl = paths.find('\n', pos);
    std::string_view path = paths.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    for (bool is_dir : {false, true}) {
      auto verdict = rules.match(path, is_dir);
      require(verdict == rules.match(path, is_dir), "matching is not repeatable");
      bool ignored = evaluator.is_ignored(path, is_dir);
      // A path its own rules ignore stays ignored through the evaluator.
      if (verdict == model::IgnoreRules::Match::kIgnored) require(ignored, "evaluator disagrees with the rules");
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return 0;
}
