// wrapp._core: the compiled half of the Python package (binding.h).
#include "python/binding.h"

NB_MODULE(_core, m) {
  m.doc() = "The C++ core of wrapp, for the Python package `wrapp` (translation only).";
  m.attr("__version__") = WRAPP_VERSION;
  // Runtimes and hashers a script still holds at exit are not leaks worth a
  // warning: the process ends with them.
  nanobind::set_leak_warnings(false);
  wrapp::python::bind_errors(m);
  wrapp::python::bind_runtime(m);
  wrapp::python::bind_commands(m);
  wrapp::python::bind_files(m);
}
