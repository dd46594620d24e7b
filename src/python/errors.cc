// C++ errors as the reference's Python exceptions: FailedCommand (a
// precondition, exit 1 on the command line) and StorageOperationError (the
// storage or the OS, exit 2), each with the error's stable code and payload
// (the conflicting or modified paths) as attributes, so scripts act on
// data, never on message text. Cancellation is its own type: the Python
// layer turns it into asyncio.CancelledError.
#include <cstring>
#include <exception>

#include "python/binding.h"
#include "util/error.h"

namespace wrapp::python {

namespace {

PyObject* g_failed_command = nullptr;
PyObject* g_storage_error = nullptr;
PyObject* g_cancelled = nullptr;

void raise(PyObject* type, const Error& e) {
  nb::list payload;
  for (const auto& p : e.payload()) payload.append(nb::str(p.c_str(), p.size()));
  nb::object message = nb::steal(PyUnicode_DecodeUTF8(e.what(), static_cast<Py_ssize_t>(std::strlen(e.what())), "replace"));
  nb::object instance = nb::steal(PyObject_CallOneArg(type, message.ptr()));
  if (!instance.is_valid()) return;  // the call set its own error
  nb::setattr(instance, "code", nb::str(error_code_name(e.code())));
  nb::setattr(instance, "payload", payload);
  nb::setattr(instance, "exit_code", nb::int_(e.exit_code()));
  PyErr_SetObject(type, instance.ptr());
}

}  // namespace

void bind_errors(nb::module_& m) {
  g_failed_command = PyErr_NewExceptionWithDoc(
      "wrapp._core.FailedCommand",
      "Raised when a command's prerequisites are not met: a conflict, a dirty install, an existing version, "
      "something not found, bad input. Attributes: code (str), payload (list[str]), exit_code (1).",
      PyExc_RuntimeError, nullptr);
  g_storage_error = PyErr_NewExceptionWithDoc(
      "wrapp._core.StorageOperationError",
      "Raised when network or file operations fail. Attributes: code (str), payload (list[str]), exit_code (2).",
      PyExc_RuntimeError, nullptr);
  g_cancelled = PyErr_NewExceptionWithDoc("wrapp._core.Cancelled", "The command was cancelled.",
                                          PyExc_RuntimeError, nullptr);
  m.attr("FailedCommand") = nb::borrow(g_failed_command);
  m.attr("StorageOperationError") = nb::borrow(g_storage_error);
  m.attr("Cancelled") = nb::borrow(g_cancelled);

  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const Cancelled& e) {
      raise(g_cancelled, e);
    } catch (const FailedCommand& e) {
      raise(g_failed_command, e);
    } catch (const StorageError& e) {
      raise(g_storage_error, e);
    }
  });
}

}  // namespace wrapp::python
