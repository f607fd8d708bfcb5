"""The namespace layout keeps the standard library's `platform` module reachable."""

import importlib
import platform
import sysconfig
from pathlib import Path


def test_platform_is_the_standard_library_module():
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    assert Path(platform.__file__).resolve().is_relative_to(stdlib)
    assert callable(platform.python_version)


def test_samenbeeld_parts_are_one_namespace_package():
    for part in ("platform", "federation", "api"):
        module = importlib.import_module(f"samenbeeld.{part}")
        assert Path(module.__file__).parent.name == part
    root = importlib.import_module("samenbeeld")
    assert getattr(root, "__file__", None) is None  # a namespace package has no __init__
