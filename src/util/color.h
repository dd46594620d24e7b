// Colour on terminals: whether to use it, and text wrapped in its escape
// codes. Colour marks what a reader scans for (errors, status kinds); the
// words stay, so nothing is lost without it.
//
// The rule, as in git, cargo and ls: `--color auto` (the default) colours a
// stream that is a terminal, unless NO_COLOR is set to a non-empty value
// (https://no-color.org) or TERM is "dumb"; `always` colours even a pipe or
// a file (and overrides NO_COLOR: an option given on the line wins over the
// environment); `never` never does.
#pragma once

#include <string>
#include <string_view>

namespace wrapp {

enum class ColorMode { kAuto, kAlways, kNever };

// "auto", "always" or "never"; FailedCommand naming the accepted values
// otherwise.
ColorMode parse_color_mode(std::string_view text);

// Whether output to the file descriptor `fd` gets colour under `mode`.
bool color_enabled(ColorMode mode, int fd);

enum class Color { kRed, kGreen, kYellow, kBoldRed, kBoldYellow };

// `text` between the escape codes of `color` when `on`, else `text` itself.
std::string paint(std::string_view text, Color color, bool on);

}  // namespace wrapp
