"""pad_sequences: lists of different lengths to one 2-D array."""
import numpy as np


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pads (or cuts) sequences to the same length, as ``keras.utils.pad_sequences``.

    Args:
        sequences: list of sequences (lists or arrays; items may be arrays of one shape).
        maxlen: length of the output; default the longest sequence.
        dtype: dtype of the output; use ``object`` for strings of varying length.
        padding: 'pre' (default) or 'post': pad before or after each sequence.
        truncating: 'pre' (default) or 'post': cut the start or the end of longer ones.
        value: the padding value.

    Returns:
        An array (len(sequences), maxlen) + the items' shape.

    Example:

    >>> pad_sequences([[1], [2, 3], [4, 5, 6]])   # [[0, 0, 1], [0, 2, 3], [4, 5, 6]]
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable.")
    lengths, sample_shape, first = [], (), True
    for x in sequences:
        try:
            lengths.append(len(x))
        except TypeError as e:
            raise ValueError(f"`sequences` must be a list of iterables. Found non-iterable: "
                             f"{x}") from e
        if first and len(x):
            sample_shape, first = np.asarray(x).shape[1:], False
    if maxlen is None:
        maxlen = int(np.max(lengths)) if lengths else 0
    is_dtype_str = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not is_dtype_str:
        raise ValueError(f"`dtype` {dtype} is not compatible with `value`'s type: {type(value)}\n"
                         "You should set `dtype=object` for variable length strings.")
    if padding not in ("pre", "post"):
        raise ValueError(f'Padding type "{padding}" not understood')
    if truncating not in ("pre", "post"):
        raise ValueError(f'Truncating type "{truncating}" not understood')
    x = np.full((len(sequences), maxlen) + sample_shape, value, dtype=dtype)
    for idx, s in enumerate(sequences):
        if not len(s) or not maxlen:
            continue
        trunc = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen], dtype=dtype)
        if trunc.shape[1:] != sample_shape:
            raise ValueError(f"Shape of sample {trunc.shape[1:]} of sequence at position {idx} "
                             f"is different from expected shape {sample_shape}")
        if padding == "post":
            x[idx, :len(trunc)] = trunc
        else:
            x[idx, -len(trunc):] = trunc
    return x
