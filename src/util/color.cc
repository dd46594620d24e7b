#include "util/color.h"

#include <unistd.h>

#include <cstdlib>

#include "util/error.h"

namespace wrapp {

ColorMode parse_color_mode(std::string_view text) {
  if (text == "auto") return ColorMode::kAuto;
  if (text == "always") return ColorMode::kAlways;
  if (text == "never") return ColorMode::kNever;
  fail("invalid colour mode '{}': expected auto, always or never", text);
}

bool color_enabled(ColorMode mode, int fd) {
  if (mode != ColorMode::kAuto) return mode == ColorMode::kAlways;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  const char* term = std::getenv("TERM");
  if (term && std::string_view(term) == "dumb") return false;
  return isatty(fd) == 1;
}

std::string paint(std::string_view text, Color color, bool on) {
  if (!on) return std::string(text);
  const char* code = "";
  switch (color) {
    case Color::kRed: code = "31"; break;
    case Color::kGreen: code = "32"; break;
    case Color::kYellow: code = "33"; break;
    case Color::kBoldRed: code = "1;31"; break;
    case Color::kBoldYellow: code = "1;33"; break;
  }
  return "\x1b[" + std::string(code) + "m" + std::string(text) + "\x1b[0m";
}

}  // namespace wrapp
