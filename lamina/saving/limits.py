"""Limits on what a model file may make lamina do, so a small hostile or damaged file cannot
take gigabytes of memory or minutes of time.

- A config (``config.json``, an ``.h5`` file's ``model_config``) is at most
  ``MAX_CONFIG_BYTES`` long and nested at most ``MAX_CONFIG_DEPTH`` levels deep.
- A zip member is read with a size limit (the config's, or what the model's weights need).
- Every array's declared shape and dtype is checked against the model before it is read.
- Rebuilding a model from a file may allocate weights (and trial inputs) only up to the
  file's size plus ``MEMORY_SLACK`` bytes: a config cannot ask for more weights than the file
  could hold.

Each refusal is a ValueError naming the file, the entry and the limit.
"""
import json

MAX_CONFIG_BYTES = 32 * 2**20   # Keras configs are kilobytes; a 1,000-layer model about 2 MB
MAX_CONFIG_DEPTH = 200          # a layer inside a model inside a model ... adds about 6 levels
MEMORY_SLACK = 64 * 2**20       # trial inputs and small weights beyond the file's own bytes


def refuse(filepath, entry, detail):
    """The ValueError for a file that breaks a limit."""
    return ValueError(f"Cannot load '{filepath}': {entry} {detail}. The file is corrupt or "
                      "was crafted to exhaust memory; lamina refuses it.")


def read_member(zf, name, limit, filepath):
    """The bytes of zip member ``name``, refused if its declared or actual size is over
    ``limit`` (only ``limit + 1`` bytes are ever decompressed)."""
    info = zf.getinfo(name)
    if info.file_size > limit:
        raise refuse(filepath, f"its entry '{name}'",
                     f"declares {info.file_size} bytes, over the limit of {limit} bytes")
    with zf.open(info) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise refuse(filepath, f"its entry '{name}'",
                     f"holds more than the limit of {limit} bytes")
    return data


def _depth(value):
    """How deeply lists and dicts nest in ``value`` (walked without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            if depth > MAX_CONFIG_DEPTH:
                return depth
            stack.extend((child, depth + 1) for child in item)
    return deepest


def parse_config(text, filepath, entry):
    """Parses a JSON config (bytes or str) within ``MAX_CONFIG_BYTES`` and ``MAX_CONFIG_DEPTH``.

    Raises:
        ValueError: naming the file and the entry, for a config over a limit or not JSON.
    """
    if len(text) > MAX_CONFIG_BYTES:
        raise refuse(filepath, f"its {entry}",
                     f"is {len(text)} bytes long, over the limit of {MAX_CONFIG_BYTES} bytes")
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        config = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"Cannot load '{filepath}': its {entry} is not valid JSON (it may be "
                         f"truncated or corrupt). {type(e).__name__}: {e}") from e
    except RecursionError as e:
        raise refuse(filepath, f"its {entry}",
                     f"nests deeper than the limit of {MAX_CONFIG_DEPTH} levels") from e
    if _depth(config) > MAX_CONFIG_DEPTH:
        raise refuse(filepath, f"its {entry}",
                     f"nests deeper than the limit of {MAX_CONFIG_DEPTH} levels")
    return config


def array_limit(model):
    """The most elements a saved array for ``model`` can have: its largest weight's (an
    optimizer slot has the shape of a weight; a scalar state is one element)."""
    sizes = [int(w.data.size) for w in model.weights]
    return max(sizes + [1])
