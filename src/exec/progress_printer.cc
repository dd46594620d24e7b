#include "exec/progress_printer.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

namespace wrapp::exec {

namespace {

constexpr auto kTick = std::chrono::milliseconds(200);
// A live display appears only for work that takes a while: a command done
// within this time never flickers a progress line over its results.
constexpr double kLiveFirstDrawSeconds = 0.75;

// Cuts `line` to `width` bytes without splitting a UTF-8 sequence. A line
// that wraps would break the cursor arithmetic of the redraw.
std::string truncate_to(std::string line, size_t width) {
  if (line.size() <= width) return line;
  size_t cut = width;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
  line.resize(cut);
  return line;
}

}  // namespace

std::string format_bytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  constexpr size_t kLast = std::size(kUnits) - 1;
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit < kLast) {
    value /= 1024;
    ++unit;
  }
  // 1048575 bytes is 1023.999 KiB, which one decimal would print as 1024.0.
  if (std::round(value * 10) / 10 >= 1024 && unit < kLast) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string format_duration(double seconds) {
  // Beyond a century an ETA means "unknown", and the cast below stays safe.
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 100.0 * 365 * 86400) return "?";
  auto s = static_cast<uint64_t>(std::llround(seconds));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d{:02}h", s / 86400, s % 86400 / 3600);
}

std::string format_progress_line(const ProgressJob& job, double rate) {
  // Done before total: both only grow and done <= total at every instant, so
  // this order never shows more done than total (max() guards misuse).
  uint64_t done_tasks = job.done_tasks();
  uint64_t done_bytes = job.done_bytes();
  uint64_t total_tasks = std::max(job.total_tasks(), done_tasks);
  uint64_t total_bytes = std::max(job.total_bytes(), done_bytes);

  std::string line = fmt::format("{}/{} files, {}/{}", done_tasks, total_tasks,
                                 format_bytes(done_bytes), format_bytes(total_bytes));
  // Floor, so 100% appears only when everything is done.
  if (total_bytes > 0) {
    line += fmt::format(" ({}%)", static_cast<int>(std::floor(100.0 * done_bytes / total_bytes)));
  } else if (total_tasks > 0) {
    line += fmt::format(" ({}%)", static_cast<int>(std::floor(100.0 * done_tasks / total_tasks)));
  }
  line += fmt::format(", {}/s", format_bytes(rate > 0 ? static_cast<uint64_t>(rate) : 0));

  line += ", ETA ";
  if (total_bytes > 0 && done_bytes == total_bytes) {
    line += "0s";
  } else if (total_bytes > 0 && rate > 0) {
    line += format_duration(static_cast<double>(total_bytes - done_bytes) / rate);
  } else {
    line += "?";
  }

  std::string status = job.status();
  if (!status.empty()) line += " - " + status;
  return line;
}

std::string format_final_line(const ProgressJob& job, double elapsed_seconds) {
  uint64_t done_tasks = job.done_tasks();
  uint64_t done_bytes = job.done_bytes();
  uint64_t total_tasks = std::max(job.total_tasks(), done_tasks);
  uint64_t total_bytes = std::max(job.total_bytes(), done_bytes);
  double average = elapsed_seconds > 0 ? static_cast<double>(done_bytes) / elapsed_seconds : 0;
  // Never claim "done" for work that stopped short (a failure elsewhere).
  std::string word = job.status();
  if (word.empty()) word = done_tasks < total_tasks || done_bytes < total_bytes ? "incomplete" : "done";
  return fmt::format("{}: {}/{} files, {}/{} in {} ({}/s)", word, done_tasks, total_tasks,
                     format_bytes(done_bytes), format_bytes(total_bytes),
                     format_duration(elapsed_seconds),
                     format_bytes(static_cast<uint64_t>(average)));
}

Headline headline(const ProgressJob& root) {
  Headline h{&root, ""};
  const ProgressJob* phase = current_phase(root);
  if (!phase) return h;
  h.phase = phase->phase();
  // Up from the phase's job while counts add into the parent: the root, or
  // the pass whose counts stay its own.
  const ProgressJob* counted = phase;
  while (counted != &root && counted->kind() == JobKind::kWork && counted->parent()) counted = counted->parent();
  h.counts = counted;
  return h;
}

std::string format_headline(const Headline& headline, double rate) {
  std::string line = format_progress_line(*headline.counts, rate);
  return headline.phase.empty() ? line : headline.phase + ": " + line;
}

// --- RateEstimator --------------------------------------------------------

void RateEstimator::sample(double seconds, uint64_t bytes) {
  if (!has_sample_) {
    has_sample_ = true;
    last_seconds_ = seconds;
    last_bytes_ = bytes;
    return;
  }
  double dt = seconds - last_seconds_;
  if (dt <= 0) return;
  double instant = bytes > last_bytes_ ? static_cast<double>(bytes - last_bytes_) / dt : 0.0;
  if (!has_rate_) {
    rate_ = instant;
    has_rate_ = true;
  } else {
    rate_ += (1 - std::exp(-dt / tau_)) * (instant - rate_);
  }
  last_seconds_ = seconds;
  last_bytes_ = bytes;
}

// --- ProgressPrinter ------------------------------------------------------

ProgressPrinter::ProgressPrinter(ProgressJob& root, ProgressVerbosity verbosity, FILE* out, double interval_seconds)
    : root_(root),
      verbosity_(verbosity),
      out_(out),
      live_(verbosity != ProgressVerbosity::kOff && isatty(fileno(out)) == 1),
      start_(ProgressJob::Clock::now()),
      plain_interval_(std::max(0.0, interval_seconds)),
      live_first_draw_(std::min(kLiveFirstDrawSeconds, plain_interval_)) {
  if (verbosity_ != ProgressVerbosity::kOff) thread_ = std::thread([this] { run(); });
}

ProgressPrinter::~ProgressPrinter() {
  if (thread_.joinable()) {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  if (verbosity_ == ProgressVerbosity::kOff) return;
  std::lock_guard lock(mu_);
  // An interval of 0 asks for every change at once: a run that ended
  // before the display's thread ticked even once (on a loaded machine it
  // may start late) still shows where it got, and its final line.
  if (!live_ && plain_interval_ <= 0 && !shown_any_) tick();
  // A command too quick to have shown progress ends quietly: its result on
  // stdout says enough, and scripts do not want a summary line per call.
  // A cancelled or failed run still says so.
  if (!shown_any_ && root_.status().empty()) return;
  if (live_) clear();
  std::string line = format_final_line(root_, root_.elapsed_seconds()) + "\n";
  std::fputs(line.c_str(), out_);
  std::fflush(out_);
}

void ProgressPrinter::message(std::string_view text) {
  std::lock_guard lock(mu_);
  std::string line = std::string(text) + "\n";
  if (live_ && !drawn_.empty()) {
    std::vector<std::string> lines = drawn_;
    clear();
    std::fputs(line.c_str(), out_);
    draw(lines);
  } else {
    std::fputs(line.c_str(), out_);
    std::fflush(out_);
  }
}

void ProgressPrinter::run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    tick();
    wake_.wait_for(lock, kTick, [&] { return stop_; });
  }
}

void ProgressPrinter::tick() {
  double now = std::chrono::duration<double>(ProgressJob::Clock::now() - start_).count();
  // Sampled every tick even when nothing is printed, so the rate is smooth
  // when the plain mode does print.
  root_rate_.sample(now, root_.done_bytes());
  headline_ = headline(root_);
  if (headline_.counts != &root_) {
    if (headline_.counts != pass_sampled_) pass_rate_ = RateEstimator();  // a new pass: its own rate
    pass_sampled_ = headline_.counts;
    pass_rate_.sample(now, headline_.counts->done_bytes());
  }
  if (verbosity_ == ProgressVerbosity::kVerbose) {
    for (ProgressJob* child : root_.children()) {
      if (!child->finished()) child_rates_[child].sample(now, child->done_bytes());
    }
  }

  if (live_) {
    if (now < live_first_draw_) return;
    draw(render());
    shown_any_ = true;
    return;
  }
  // Something moved: the root's counts, or a running pass's.
  uint64_t done = root_.done_tasks() + root_.done_bytes() + headline_.counts->done_tasks() +
                  headline_.counts->done_bytes() + headline_.counts->sequence();
  bool due = now - last_plain_print_ >= plain_interval_ && done != last_plain_done_;
  if (!due) return;
  last_plain_print_ = now;
  last_plain_done_ = done;
  shown_any_ = true;
  std::string text;
  for (const std::string& line : render()) text += line + "\n";
  std::fputs(text.c_str(), out_);
  std::fflush(out_);
}

std::vector<std::string> ProgressPrinter::render() {
  double rate = headline_.counts == &root_ ? root_rate_.rate() : pass_rate_.rate();
  std::vector<std::string> lines{format_headline(headline_, rate)};
  if (verbosity_ == ProgressVerbosity::kVerbose) {
    for (ProgressJob* child : root_.children()) {
      if (child->finished()) continue;
      lines.push_back(fmt::format("  {}: {}", child->name(),
                                  format_progress_line(*child, child_rates_[child].rate())));
    }
  }
  return lines;
}

void ProgressPrinter::draw(const std::vector<std::string>& lines) {
  size_t width = terminal_width();
  // Back to the first line of the previous drawing, erase to the end of the
  // screen, write the new lines; the cursor stays at the end of the last one.
  std::string text;
  if (drawn_.size() > 1) text += fmt::format("\x1b[{}A", drawn_.size() - 1);
  text += "\r\x1b[J";
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) text += "\n";
    text += truncate_to(lines[i], width > 1 ? width - 1 : width);
  }
  std::fputs(text.c_str(), out_);
  std::fflush(out_);
  drawn_ = lines;
}

void ProgressPrinter::clear() {
  std::string text;
  if (drawn_.size() > 1) text += fmt::format("\x1b[{}A", drawn_.size() - 1);
  text += "\r\x1b[J";
  std::fputs(text.c_str(), out_);
  std::fflush(out_);
  drawn_.clear();
}

size_t ProgressPrinter::terminal_width() const {
  struct winsize size {};
  if (ioctl(fileno(out_), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

}  // namespace wrapp::exec
