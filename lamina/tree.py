"""Nested structures (lists, tuples, dicts) of leaves: flatten them and map over them.

Two rules for what nests:

- by default lists, tuples and dicts nest, as in Keras: ``flatten([1, [2, 3]])`` is
  ``[1, 2, 3]``;
- with ``lists_are_leaves=True`` only tuples and dicts nest and a list is one leaf, as in
  ``tf.data``, where a list becomes one array: ``flatten([1, [2, 3]],
  lists_are_leaves=True)`` is ``[[1, [2, 3]]]``. The data pipeline uses this rule.

Dicts are walked in insertion order; namedtuples keep their type.
"""

_NESTED = {False: (list, tuple, dict), True: (tuple, dict)}


def is_nested(x, lists_are_leaves=False):
    """True for a container that holds several leaves (a list, tuple or dict)."""
    return isinstance(x, _NESTED[lists_are_leaves])


def flatten(structure, lists_are_leaves=False):
    """Leaves of a nested structure, in order (dicts by insertion order)."""
    leaves = []
    _flatten_into(structure, _NESTED[lists_are_leaves], leaves)
    return leaves


def _flatten_into(x, nested, leaves):
    if isinstance(x, dict):
        for v in x.values():
            _flatten_into(v, nested, leaves)
    elif isinstance(x, nested):
        for v in x:
            _flatten_into(v, nested, leaves)
    else:
        leaves.append(x)


def _rebuild(like, items):
    """A sequence of the same type as ``like`` holding ``items`` (namedtuples included)."""
    if hasattr(like, "_fields"):
        return type(like)(*items)
    return type(like)(items)


def map_structure(fn, *structures, lists_are_leaves=False):
    """Same structure with ``fn`` applied to every leaf (to the matching leaves of several
    structures of the same shape: ``fn(leaf_a, leaf_b)``)."""
    nested = _NESTED[lists_are_leaves]
    if len(structures) == 1:
        return _map_one(fn, structures[0], nested)
    first = structures[0]
    if isinstance(first, dict):
        return {k: map_structure(fn, *(s[k] for s in structures),
                                 lists_are_leaves=lists_are_leaves) for k in first}
    if isinstance(first, nested):
        return _rebuild(first, [map_structure(fn, *parts, lists_are_leaves=lists_are_leaves)
                                for parts in zip(*structures)])
    return fn(*structures)


def _map_one(fn, x, nested):
    # NOTE: the one-structure case of map_structure, without zip: the data pipeline runs it
    # several times per element.
    if isinstance(x, dict):
        return {k: _map_one(fn, v, nested) for k, v in x.items()}
    if isinstance(x, nested):
        return _rebuild(x, [_map_one(fn, v, nested) for v in x])
    return fn(x)


def pack_sequence_as(structure, leaves, lists_are_leaves=False):
    """Puts ``leaves`` (in flatten order) back into the shape of ``structure``."""
    leaves = iter(leaves)
    return map_structure(lambda _: next(leaves), structure, lists_are_leaves=lists_are_leaves)


def same_structure(a, b, lists_are_leaves=False):
    """True when ``a`` and ``b`` nest the same way (dicts with the same keys)."""
    nested = _NESTED[lists_are_leaves]
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(
            same_structure(a[k], b[k], lists_are_leaves) for k in a)
    if isinstance(a, nested):
        return isinstance(b, nested) and len(a) == len(b) and all(
            same_structure(x, y, lists_are_leaves) for x, y in zip(a, b))
    return not isinstance(b, nested)
