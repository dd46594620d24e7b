// Shows a ProgressJob tree while a command runs.
//
// On a terminal it redraws a live status line in place every ~200 ms; when
// stderr is a file or a CI log it prints a plain line at most every few
// seconds, without control characters, so logs stay readable and small.
// Text is built by pure functions (below) so tests check it without a
// terminal or a clock.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "exec/progress.h"
#include "exec/progress_sink.h"

namespace wrapp::exec {

// "0 B", "1023 B", "1.5 KiB", "10.0 MiB", "1.2 GiB" ... binary units up to
// PiB, one decimal, never "1024.0" of a unit.
std::string format_bytes(uint64_t bytes);

// "0s", "59s", "1m05s", "2h03m", "3d04h"; "?" for negative, NaN or infinite.
std::string format_duration(double seconds);

// The live status of `job` (totals include its children), e.g.
//   "12/345 files, 1.2 GiB/10.0 GiB (12%), 150.0 MiB/s, ETA 1m02s"
// `rate` is in bytes per second; ETA is "?" while the rate is unknown (<= 0).
// The percentage follows bytes, or files when there are no bytes to count.
std::string format_progress_line(const ProgressJob& job, double rate);

// The summary printed once at the end, e.g.
//   "done: 345/345 files, 10.0 GiB/10.0 GiB in 1m10s (146.3 MiB/s)"
// The first word is the job's status if it has one ("cancelled"), else
// "done", or "incomplete" when less than the total was done.
std::string format_final_line(const ProgressJob& job, double elapsed_seconds);

// What the first line of the display shows: the current phase's word
// (current_phase(), "" when no job has a phase) and whose counts: the root's,
// or, while a pass runs (planning), that pass's, since the root's do not
// move then.
struct Headline {
  const ProgressJob* counts = nullptr;
  std::string phase;
};
Headline headline(const ProgressJob& root);

// "copying: " + format_progress_line(...) for a Headline.
std::string format_headline(const Headline& headline, double rate);

// Bytes per second smoothed by an exponential moving average, so the rate
// and ETA do not jump with every chunk. The weight of a sample grows with the
// time it covers (1 - e^(-dt/tau)), making the result independent of how
// often it is sampled.
class RateEstimator {
 public:
  explicit RateEstimator(double time_constant_seconds = 3.0) : tau_(time_constant_seconds) {}
  // `seconds` from any fixed origin, increasing; `bytes` done so far.
  void sample(double seconds, uint64_t bytes);
  double rate() const { return rate_; }  // 0 until two samples were taken

 private:
  double tau_;
  bool has_sample_ = false;
  bool has_rate_ = false;
  double last_seconds_ = 0;
  uint64_t last_bytes_ = 0;
  double rate_ = 0;
};

// The terminal sink.
class ProgressPrinter : public ProgressSink {
 public:
  // kOff prints nothing (message() still prints its text). `out` must stay
  // open for the printer's lifetime; `root` must outlive it. Not on a
  // terminal, a line is printed every `interval_seconds` while work moves;
  // on one, the live line appears after that or 0.75 s, whichever is
  // shorter (quick commands never flicker a line over their results).
  ProgressPrinter(ProgressJob& root, ProgressVerbosity verbosity, FILE* out = stderr,
                  double interval_seconds = 5.0);
  ProgressPrinter(const ProgressPrinter&) = delete;
  ProgressPrinter& operator=(const ProgressPrinter&) = delete;

  // Stops the display thread, clears the live lines and prints the final
  // line (unless kOff).
  ~ProgressPrinter() override;

  // Prints a line of text (a warning, say) above the live display instead of
  // through it. Thread-safe.
  void message(std::string_view text);

  bool live() const { return live_; }  // redrawing in place (a terminal)

 private:
  void run();
  void tick();                          // with mu_ held
  std::vector<std::string> render();    // with mu_ held
  void draw(const std::vector<std::string>& lines);  // with mu_ held; live mode
  void clear();                         // with mu_ held; live mode
  size_t terminal_width() const;

  ProgressJob& root_;
  const ProgressVerbosity verbosity_;
  FILE* const out_;
  const bool live_;
  const ProgressJob::Clock::time_point start_;
  const double plain_interval_;
  const double live_first_draw_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  RateEstimator root_rate_;
  Headline headline_;  // taken at each tick
  RateEstimator pass_rate_;  // of headline_.counts while it is a pass
  const ProgressJob* pass_sampled_ = nullptr;  // the pass pass_rate_ follows
  std::map<const ProgressJob*, RateEstimator> child_rates_;
  std::vector<std::string> drawn_;  // lines currently on screen (live mode)
  double last_plain_print_ = 0;
  uint64_t last_plain_done_ = UINT64_MAX;
  bool shown_any_ = false;  // a progress line was printed or drawn
  std::thread thread_;  // last: started after everything it reads
};

}  // namespace wrapp::exec
