"""``Dataset``, input pipelines in the style of ``tf.data``, and its ``TensorSpec``.

``dataset`` holds the public class; ``sources`` and ``transforms`` the steps of a pipeline,
each written once; ``node`` their base; ``chunks`` the row-index iteration they share.
"""
from lamina.data.dataset.dataset import Dataset
from lamina.data.dataset.spec import (AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY,
                                      TensorSpec)

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "Dataset", "TensorSpec"]
