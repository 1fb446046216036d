"""The garbage collector around a process's life: what it need not walk again.

CPython's cyclic collector walks every tracked object of the generation it collects. A long-running
process builds a large heap once (the modules, the settings, SQLAlchemy's tables and compiled
statements, the pydantic schemas, the OpenAPI document) and keeps it to the end; walking it again at
every full collection is work with nothing to find, paid inside whichever request happens to trigger
it. And at exit the interpreter walks it all once more, for a heap the operating system is about to
drop: about 0.1 s of every short command such as ``apply -f``.

* ``freeze_built_heap()``: once a long-running process is built, collect once and move every surviving
  object to the permanent generation (``gc.freeze``); later collections walk only what requests and
  passes allocate.
* ``freeze_at_exit()``: the same at exit, after the command's own clean-up (``atexit`` runs handlers
  in reverse order of registration, and this one is registered before the command runs), so the
  final collections skip the heap. Resources are closed by the commands themselves (``finally``
  blocks), never left to the collector.
"""

from __future__ import annotations

import atexit
import gc


def freeze_built_heap() -> None:
    gc.collect()
    gc.freeze()


_registered = False


def freeze_at_exit() -> None:
    global _registered
    if not _registered:  # once per process, however many commands a test runs in it
        atexit.register(gc.freeze)
        _registered = True
