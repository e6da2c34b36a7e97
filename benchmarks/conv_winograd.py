"""Benchmark: would Winograd convolution make lamina's 3x3 convolutions faster in NumPy?

The second convolution of cnn_fashion.py (batch 32, 13x13x32 -> 11x11x64, 3x3, valid), as
lamina computes it (im2col and one GEMM), against Winograd F(2x2, 3x3) written in NumPy:
2.25x fewer multiplications (16 GEMMs, one per point of a 4x4 tile), but an input transform
and an output transform of whole arrays around them. Both results are checked equal first.

Usage:
    python benchmarks/conv_winograd.py
"""
import timeit

import numpy as np

from lamina.ops.conv import im2col

N, H, C, F = 32, 13, 32, 64
HO = H - 2          # 11 output pixels a side
TILES = (HO + 1) // 2  # 6 tiles of 2x2 outputs a side

rng = np.random.default_rng(0)
x = rng.standard_normal((N, H, H, C)).astype(np.float32)
W = rng.standard_normal((3, 3, C, F)).astype(np.float32)


def im2col_gemm():
    """lamina's way: the (N*11*11, 9*C) patch matrix times the (9*C, F) kernel."""
    return (im2col(x, 3, 3, (HO, HO)) @ W.reshape(-1, F)).reshape(N, HO, HO, F)


# Kernel transform G g G^T, once per training step (not timed).
G = np.array([[1, 0, 0], [.5, .5, .5], [.5, -.5, .5], [0, 0, 1]], np.float32)
U = np.einsum("ai,ijcf,bj->abcf", G, W, G).reshape(16, C, F)


def _input_transform(d, out):
    """B^T d along axis 3 of ``d`` (a tile's rows, then its columns):
    [d0 - d2, d1 + d2, d2 - d1, d1 - d3]."""
    np.subtract(d[:, :, :, 0], d[:, :, :, 2], out=out[0])
    np.add(d[:, :, :, 1], d[:, :, :, 2], out=out[1])
    np.subtract(d[:, :, :, 2], d[:, :, :, 1], out=out[2])
    np.subtract(d[:, :, :, 1], d[:, :, :, 3], out=out[3])


def winograd():
    """F(2x2, 3x3): V = B^T d B per 4x4 tile, M = V U (16 GEMMs), y = A^T M A."""
    size = 2 * TILES + 2
    xp = np.zeros((N, size, size, C), np.float32)
    xp[:, :H, :H] = x
    s = xp.strides
    d = np.lib.stride_tricks.as_strided(  # (N, 6, 6, 4, 4, C): overlapping 4x4 tiles
        xp, (N, TILES, TILES, 4, 4, C), (s[0], 2 * s[1], 2 * s[2], s[1], s[2], s[3]))
    rows = np.empty((4, N, TILES, TILES, 4, C), np.float32)
    _input_transform(d, rows)
    V = np.empty((4, 4, N, TILES, TILES, C), np.float32)
    for a in range(4):  # the same transform along the tile's columns
        _input_transform(rows[a], V[a])
    M = np.matmul(V.reshape(16, -1, C), U).reshape(4, 4, N, TILES, TILES, F)
    y = np.empty((N, TILES, 2, TILES, 2, F), np.float32)
    for a, m in enumerate((M[0] + M[1] + M[2], M[1] - M[2] - M[3])):  # A^T M, then M A
        y[:, :, a, :, 0] = m[0] + m[1] + m[2]
        y[:, :, a, :, 1] = m[1] - m[2] - m[3]
    return y.reshape(N, 2 * TILES, 2 * TILES, F)[:, :HO, :HO]


if __name__ == "__main__":
    ref = im2col_gemm()
    err = float(np.abs(winograd() - ref).max() / np.abs(ref).max())
    assert err < 1e-5, f"Winograd differs from im2col by {err:g} (relative)"
    for fn in (im2col_gemm, winograd):
        ms = min(timeit.repeat(fn, number=50, repeat=5)) / 50 * 1e3
        print(f"{fn.__name__:12s} {ms:6.2f} ms per forward convolution")
