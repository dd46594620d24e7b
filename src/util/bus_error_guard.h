// Touching a mapped file's pages past its end raises SIGBUS, which kills the
// process. A file that another program truncates while wrapp hashes it from
// a mapping is such a case: it must be an error naming the file, not a
// crash. `run_catching_bus_error` runs a function so that a SIGBUS raised by
// touching a given range makes it return false instead.
//
// How: a process-wide SIGBUS handler, installed on first use, jumps back
// (siglongjmp) into the guarded call when the fault's address lies in the
// range the calling thread guards. Every other SIGBUS goes on to the handler
// that was there before (or the default action, which ends the process), as
// if this one did not exist.
//
// Because a fault leaves `fn` by a jump, not by an exception, destructors of
// the frames it skips never run. `fn` must therefore own nothing with a
// destructor (no strings, vectors, locks) while it touches the range; a
// plain loop over the bytes calling C functions or functions of that kind
// (model::sha256) qualifies. `fn` may throw: an exception leaves as usual.
//
// A program that replaces the SIGBUS handler afterwards (Python's
// faulthandler.disable() puts back the one it found) turns the guard off: a
// fault then ends the process, as it would without this.
//
// Thread safety: any thread, concurrently; each thread guards its own range.
// Guarded calls do not nest.
#pragma once

#include <cstddef>

namespace wrapp::util {

// Runs fn(arg). Returns true when it returned, false when it touched
// [begin, begin + len) and that raised SIGBUS.
bool run_catching_bus_error(const void* begin, size_t len, void (*fn)(void*), void* arg);

}  // namespace wrapp::util
