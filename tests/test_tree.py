"""lamina.tree: one module for nested structures, with tf.data's list-as-leaf rule as an argument."""
import collections

import pytest

from lamina import tree

Point = collections.namedtuple("Point", "x y")


def test_lists_nest_by_default_and_are_leaves_on_request():
    assert tree.flatten([1, [2, 3]]) == [1, 2, 3]
    assert tree.flatten([1, [2, 3]], lists_are_leaves=True) == [[1, [2, 3]]]
    element = ({"a": 1, "b": [2, 3]}, 4)
    assert tree.flatten(element) == [1, 2, 3, 4]
    assert tree.flatten(element, lists_are_leaves=True) == [1, [2, 3], 4]
    assert tree.is_nested([1]) and not tree.is_nested([1], lists_are_leaves=True)
    assert tree.is_nested((1,), lists_are_leaves=True) and not tree.is_nested(1)


def test_map_keeps_the_structure_and_the_types():
    assert tree.map_structure(lambda v: v * 2, {"a": [1, (2, 3)]}) == {"a": [2, (4, 6)]}
    assert tree.map_structure(len, ([1, 2], "ab"), lists_are_leaves=True) == (2, 2)
    point = tree.map_structure(lambda v: v + 1, Point(1, 2))
    assert type(point) is Point and point == Point(2, 3)
    # several structures: fn gets the matching leaves
    assert tree.map_structure(lambda a, b: a - b, (5, {"k": 3}), (1, {"k": 1})) == (4, {"k": 2})


def test_pack_sequence_as_inverts_flatten():
    structure = {"x": (1, [2, 3]), "y": 4}
    assert tree.pack_sequence_as(structure, tree.flatten(structure)) == structure
    packed = tree.pack_sequence_as(structure, ["a", "b", "c"], lists_are_leaves=True)
    assert packed == {"x": ("a", "b"), "y": "c"}
    with pytest.raises(StopIteration):
        tree.pack_sequence_as((1, 2), [1])


def test_same_structure():
    assert tree.same_structure({"a": (1, 2)}, {"a": (3, 4)})
    assert not tree.same_structure({"a": (1, 2)}, {"b": (3, 4)})
    assert not tree.same_structure((1, 2), (1, 2, 3))
    assert tree.same_structure([1, 2], "leaf", lists_are_leaves=True)
    assert not tree.same_structure([1, 2], "leaf")
