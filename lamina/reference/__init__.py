"""Plain twins of lamina's fast ops: the textbook equations, for reading and for testing.

The engine (``lamina.autograd`` and ``lamina.ops``) fuses some ops for speed: the whole
LSTM/GRU/SimpleRNN sequence in one op with a hand-written backward, convolution through
im2col and one GEMM, pooling over strided slices, Dense's matmul + bias, softmax with its
cross-entropy. Each has a twin here, written the way a textbook writes it: a loop over
time steps, kernel taps or windows, built only from lamina's primitive ops, so autograd
derives its backward. The tests check that each fast op and its twin agree, forward and
backward; each fast op's docstring names its twin.

This package lives outside the engine so that the engine stays within its size budget
(autograd + ops at most 2,000 lines of code); nothing in lamina imports it. The twins are
slow: use them to read, check and learn, not to train.

Modules: ``recurrent`` (simple_rnn, lstm, gru), ``conv`` (conv2d, conv2d_transpose,
depthwise_conv2d), ``pooling`` (max_pool2d, avg_pool2d), ``nn`` (linear, softmax,
log_softmax and the cross-entropies).
"""
