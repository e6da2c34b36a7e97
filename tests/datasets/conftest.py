"""Every dataset test gets an empty cache folder and no network; ``downloads`` lets a test
serve file:// URLs (local copies of the real files) instead."""
import urllib.error
import urllib.request

import pytest

from lamina.datasets import _files


def _no_network(url, *args, **kwargs):
    raise urllib.error.URLError("network disabled in tests")


def _local_only(url, *args, **kwargs):
    assert url.startswith("file://"), url
    return urllib.request.urlopen(url, *args, **kwargs)


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """Empty cache folder under tmp_path, and no network."""
    monkeypatch.setenv("LAMINA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(_files, "_urlopen", _no_network)


@pytest.fixture
def downloads(monkeypatch):
    """``downloads(True)``: only file:// URLs can be fetched; ``downloads(False)``: none."""
    def allow(local):
        monkeypatch.setattr(_files, "_urlopen", _local_only if local else _no_network)
    return allow
