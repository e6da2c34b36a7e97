"""keras.datasets, re-exported from lamina.datasets."""
from lamina.datasets import (airline_satisfaction, boston_housing, california_housing,  # noqa: F401
                             cifar10, cifar100, fashion_mnist, imdb, iris, mnist, pima_diabetes,
                             reuters)
