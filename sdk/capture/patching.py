"""Reversible patching for the captures: method swaps that restore exactly what they replaced,
and a post-import hook that patches a module the moment it is first imported.

Rules: a patch records the class's own attribute (or its absence) and at ``undo()``
puts that back, but only if the class still holds our wrapper; if someone patched
over us, we leave their wrapper in place and the owner turns ours into a
pass-through instead. Nothing here swallows a user's exception.
"""

from __future__ import annotations

import importlib.abc
import sys
import threading
from typing import Any, Callable, Iterable

_MISSING = object()


class MethodPatch:
    """``setattr(cls, name, wrapper)`` remembering ``cls.__dict__[name]`` (or its absence)."""

    def __init__(self, cls: type, name: str, wrapper: Callable) -> None:
        self.cls, self.name, self.wrapper = cls, name, wrapper
        self.original = cls.__dict__.get(name, _MISSING)
        wrapper.__ringlog_original__ = getattr(cls, name)
        setattr(cls, name, wrapper)

    def undo(self) -> bool:
        """Restore the original; False when another patch sits on top of ours (left alone)."""
        if self.cls.__dict__.get(self.name) is not self.wrapper:
            return False
        if self.original is _MISSING:
            delattr(self.cls, self.name)
        else:
            setattr(self.cls, self.name, self.original)
        return True


def is_patched(fn: Any) -> bool:
    return hasattr(fn, "__ringlog_original__")


class _Loader:
    """Delegates to the real loader, then calls ``after(module)`` once the module executed."""

    def __init__(self, loader: Any, after: Callable[[Any], None]) -> None:
        self._loader, self._after = loader, after

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        self._loader.exec_module(module)
        self._after(module)

    def __getattr__(self, name):
        return getattr(self._loader, name)


class PostImportHook(importlib.abc.MetaPathFinder):
    """Calls ``callback(module)`` right after one of ``names`` is imported for the first time.

    Installed at the front of ``sys.meta_path``; ``remove()`` takes it out. The
    callback's errors are the callback's to handle (it must not raise).
    """

    def __init__(self, names: Iterable[str], callback: Callable[[Any], None]) -> None:
        self.names = set(names)
        self.callback = callback
        self._local = threading.local()

    def install(self) -> "PostImportHook":
        if self not in sys.meta_path:
            sys.meta_path.insert(0, self)
        return self

    def remove(self) -> None:
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass

    def find_spec(self, fullname, path, target=None):
        if fullname not in self.names or getattr(self._local, "busy", False):
            return None
        self._local.busy = True
        try:
            spec = None
            for finder in list(sys.meta_path):
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
        finally:
            self._local.busy = False
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        spec.loader = _Loader(spec.loader, self.callback)
        return spec
