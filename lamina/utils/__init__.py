"""Utilities, as in ``keras.utils``."""
from lamina.data.py_dataset import PyDataset, Sequence
from lamina.data.split import train_test_split
from lamina.datasets._files import get_file
from lamina.utils.numerical_utils import normalize, to_categorical
from lamina.utils.plotting import plot_history, plot_model
from lamina.progbar import Progbar
from lamina.utils.random import set_random_seed
from lamina.utils.sequence_utils import pad_sequences
from lamina.models.data_adapter import pack_x_y_sample_weight, unpack_x_y_sample_weight

__all__ = ["Progbar", "PyDataset", "Sequence", "get_file", "normalize", "pack_x_y_sample_weight",
           "pad_sequences", "plot_history", "plot_model", "set_random_seed", "to_categorical",
           "train_test_split", "unpack_x_y_sample_weight"]
