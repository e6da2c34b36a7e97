"""Ready-to-use datasets.

As ``keras.datasets``: ``mnist.load_data()``, ``fashion_mnist``, ``cifar10``, ``cifar100``,
``imdb``, ``reuters``, ``boston_housing``, ``california_housing``,
and the course's tables ``iris``, ``pima_diabetes``, ``airline_satisfaction``, each
``load_data()`` giving NumPy arrays. As TensorFlow Datasets: ``load(name, split=...)``
giving a ``lamina.data.Dataset``. As pandas: ``read_csv(name)``.
"""
from lamina.datasets import (airline_satisfaction, boston_housing, california_housing, cifar10,
                             cifar100, fashion_mnist, imdb, iris, mnist, pima_diabetes, reuters)
from lamina.datasets.catalog import as_numpy, list_builders, load, read_csv

__all__ = ["airline_satisfaction", "as_numpy", "boston_housing", "california_housing", "cifar10",
           "cifar100", "fashion_mnist", "imdb", "iris", "list_builders", "load", "mnist",
           "pima_diabetes", "read_csv", "reuters"]
