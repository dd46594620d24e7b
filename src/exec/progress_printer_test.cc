#include "exec/progress_printer.h"

#include <pty.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace wrapp::exec {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

std::string read_all(FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string text;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) text.append(buffer, n);
  return text;
}

TEST(ExecProgressFormat, Bytes) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1024), "1.0 KiB");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(kMiB - 1), "1.0 MiB");  // not "1024.0 KiB"
  EXPECT_EQ(format_bytes(10 * kMiB), "10.0 MiB");
  EXPECT_EQ(format_bytes(5ull * 1024 * kMiB), "5.0 GiB");
  EXPECT_EQ(format_bytes(3ull * 1024 * 1024 * kMiB), "3.0 TiB");
  EXPECT_EQ(format_bytes(UINT64_MAX), "16.0 EiB");
}

TEST(ExecProgressFormat, Duration) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(59.4), "59s");
  EXPECT_EQ(format_duration(65), "1m05s");
  EXPECT_EQ(format_duration(3599), "59m59s");
  EXPECT_EQ(format_duration(3725), "1h02m");
  EXPECT_EQ(format_duration(2 * 86400 + 4 * 3600), "2d04h");
  EXPECT_EQ(format_duration(-1), "?");
  EXPECT_EQ(format_duration(1.0 / 0.0), "?");
}

TEST(ExecProgressFormat, ProgressLine) {
  ProgressJob job("copy");
  job.add_total(10, 10 * kMiB);
  job.add_done(4, 5 * kMiB);
  EXPECT_EQ(format_progress_line(job, 1.0 * kMiB),
            "4/10 files, 5.0 MiB/10.0 MiB (50%), 1.0 MiB/s, ETA 5s");
  EXPECT_EQ(format_progress_line(job, 0), "4/10 files, 5.0 MiB/10.0 MiB (50%), 0 B/s, ETA ?");
  job.set_status("scanning");
  EXPECT_EQ(format_progress_line(job, 0),
            "4/10 files, 5.0 MiB/10.0 MiB (50%), 0 B/s, ETA ? - scanning");
}

TEST(ExecProgressFormat, ProgressLineCountsChildrenAndFilesOnlyJobs) {
  ProgressJob root("total");
  root.add_child("list")->add_total(4, 0);
  root.children()[0]->add_done(1, 0);
  EXPECT_EQ(format_progress_line(root, 0), "1/4 files, 0 B/0 B (25%), 0 B/s, ETA ?");
  ProgressJob empty("empty");
  EXPECT_EQ(format_progress_line(empty, 0), "0/0 files, 0 B/0 B, 0 B/s, ETA ?");
}

TEST(ExecProgressFormat, FinalLine) {
  ProgressJob job("total");
  job.add_total(10, 10 * kMiB);
  job.add_done(10, 10 * kMiB);
  EXPECT_EQ(format_final_line(job, 5), "done: 10/10 files, 10.0 MiB/10.0 MiB in 5s (2.0 MiB/s)");
  job.add_total(1, 0);
  EXPECT_EQ(format_final_line(job, 5), "incomplete: 10/11 files, 10.0 MiB/10.0 MiB in 5s (2.0 MiB/s)");
  job.set_status("cancelled");
  EXPECT_EQ(format_final_line(job, 0), "cancelled: 10/11 files, 10.0 MiB/10.0 MiB in 0s (0 B/s)");
}

TEST(ExecProgressFormat, RateEstimatorSmoothes) {
  RateEstimator rate(3.0);
  EXPECT_EQ(rate.rate(), 0);
  rate.sample(0, 0);
  EXPECT_EQ(rate.rate(), 0);
  for (int t = 1; t <= 5; ++t) rate.sample(t, 100u * t);
  EXPECT_DOUBLE_EQ(rate.rate(), 100);  // a steady rate is reported exactly
  rate.sample(6, 500 + 1000);          // one fast second moves it part of the way
  EXPECT_GT(rate.rate(), 100);
  EXPECT_LT(rate.rate(), 1000);
  double before = rate.rate();
  rate.sample(6, 2000);  // no time passed: ignored
  EXPECT_EQ(rate.rate(), before);
}

TEST(ExecProgressFormat, HeadlineNamesThePhaseAndCountsAPassOnItsOwn) {
  ProgressJob root("total");
  EXPECT_EQ(format_headline(headline(root), 0), "0/0 files, 0 B/0 B, 0 B/s, ETA ?");
  ProgressJob* planning = root.add_child("inspect /dest", "planning", JobKind::kPass);
  planning->add_total(4, 0);
  planning->add_done(1, 0);
  Headline h = headline(root);
  EXPECT_EQ(h.counts, planning);  // the root's counts do not move while planning
  EXPECT_EQ(format_headline(h, 0), "planning: 1/4 files, 0 B/0 B (25%), 0 B/s, ETA ?");
  ProgressJob* copying = root.add_child("install p 1.0", "copying");
  copying->add_total(4, 4 * kMiB);
  copying->add_child("big.usd")->add_done(0, kMiB);  // work under the phase: the root's counts
  h = headline(root);
  EXPECT_EQ(h.counts, &root);
  EXPECT_EQ(format_headline(h, 0), "copying: 0/4 files, 1.0 MiB/4.0 MiB (25%), 0 B/s, ETA ?");
}

TEST(ExecProgressPrinter, OffPrintsNothing) {
  FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  ProgressJob root("total");
  root.add_total(1, 1);
  { ProgressPrinter printer(root, ProgressVerbosity::kOff, out); }
  EXPECT_EQ(read_all(out), "");
  std::fclose(out);
}

TEST(ExecProgressPrinter, PlainOutputHasNoControlCharacters) {
  FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  ProgressJob root("total");
  root.add_total(2, 2048);
  {
    ProgressPrinter printer(root, ProgressVerbosity::kVerbose, out);
    EXPECT_FALSE(printer.live());
    root.add_child("copy")->add_done(2, 2048);
    printer.message("warning: skipped a link");
  }
  std::string text = read_all(out);
  EXPECT_NE(text.find("warning: skipped a link\n"), std::string::npos) << text;
  // Too quick to have shown progress: no summary line either.
  EXPECT_EQ(text.find("done:"), std::string::npos) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  std::fclose(out);
}

TEST(ExecProgressPrinter, TerminalOutputRedrawsInPlace) {
  int master = -1;
  int slave = -1;
  struct winsize size {};
  size.ws_col = 100;
  size.ws_row = 20;
  if (openpty(&master, &slave, nullptr, nullptr, &size) != 0) GTEST_SKIP() << "no pty";
  FILE* out = fdopen(slave, "w");
  ASSERT_NE(out, nullptr);
  ProgressJob root("total");
  root.add_total(3, 3 * kMiB);
  root.add_done(1, kMiB);
  {
    ProgressPrinter printer(root, ProgressVerbosity::kNormal, out);
    EXPECT_TRUE(printer.live());
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // past the first-draw delay
  }
  std::fclose(out);
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(master, buffer, sizeof buffer)) > 0) {
    text.append(buffer, static_cast<size_t>(n));
    if (text.find("incomplete:") != std::string::npos && text.back() == '\n') break;
  }
  close(master);
  EXPECT_NE(text.find("\r\x1b[J"), std::string::npos) << text;
  EXPECT_NE(text.find("incomplete: 1/3 files, 1.0 MiB/3.0 MiB in "), std::string::npos) << text;
}

TEST(ExecProgressPrinter, AnIntervalOfZeroPrintsAtOnceAndEndsWithTheFinalLine) {
  FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  ProgressJob root("total");
  ProgressJob* copying = root.add_child("create p 1.0", "copying");
  copying->add_total(2, 2048);
  {
    ProgressPrinter printer(root, ProgressVerbosity::kNormal, out, 0.0);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the first tick prints
    copying->add_done(2, 2048);
  }
  std::string text = read_all(out);
  EXPECT_NE(text.find("copying: 0/2 files"), std::string::npos) << text;
  EXPECT_NE(text.find("done: 2/2 files, 2.0 KiB/2.0 KiB in "), std::string::npos) << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  std::fclose(out);
}

// The command ends before the display's thread ran even once (a loaded
// machine): with an interval of 0 the run still ends with its final line.
TEST(ExecProgressPrinter, AnIntervalOfZeroShowsARunThatEndedBeforeTheFirstTick) {
  for (int run = 0; run < 100; ++run) {
    FILE* out = std::tmpfile();
    ASSERT_NE(out, nullptr);
    ProgressJob root("total");
    root.add_total(2, 2048);
    root.add_done(2, 2048);
    { ProgressPrinter printer(root, ProgressVerbosity::kNormal, out, 0.0); }
    std::string text = read_all(out);
    std::fclose(out);
    ASSERT_NE(text.find("done: 2/2 files, 2.0 KiB/2.0 KiB in "), std::string::npos) << "run " << run << ": " << text;
  }
}

}  // namespace
}  // namespace wrapp::exec
