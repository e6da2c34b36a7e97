"""plot_model (the layer graph as an image) and plot_history (learning curves), with matplotlib.

matplotlib is an optional extra: ``pip install 'lamina[plot]'``. plot_model draws the graph
itself (boxes, arrows, a layered layout), so no Graphviz program is needed.
"""
import os

from lamina.models import Sequential

# Layout sizes, in inches (the figure is drawn in inch coordinates, y pointing down).
_FONT_SIZE = 9                # points
_CHAR_WIDTH = 0.602 * _FONT_SIZE / 72   # DejaVu Sans Mono advance, 0.602 em
_LINE_HEIGHT = 1.35 * _FONT_SIZE / 72
_BOX_PAD = 0.09               # inside a box, around the text
_RANK_GAP = 0.45              # between boxes along the flow (arrows)
_SIBLING_GAP = 0.35           # between boxes side by side
_MARGIN = 0.2                 # around the drawing
_CLUSTER_PAD = 0.12           # around an expanded nested model, per nesting level


def _import_matplotlib(what):
    try:
        import matplotlib
    except ImportError as e:
        raise ImportError(f"{what} needs matplotlib, which is not installed. Install it with: "
                          "pip install 'lamina[plot]'") from e
    return matplotlib


# --- the model as a graph of layers --------------------------------------------------------

def _is_graph_model(layer):
    """True for a Sequential or functional model (one whose layers form a graph)."""
    return isinstance(layer, Sequential) or hasattr(layer, "_nodes")


def _layer_links(model):
    """The layers of ``model`` with their shapes, and the links between them.

    Returns:
        layers: list of (layer, input_shapes, output_shapes, input_dtype, output_dtype).
        links: list of (source_layer, output_index, target_layer, input_index).
        inputs: the layers that receive the model's inputs, one per input.
        outputs: list of (layer, output_index), one per model output.
    """
    if not model.built:
        raise ValueError("This model has not yet been built. Build the model first by calling "
                         "`build()` or by calling the model on a batch of data.")
    if hasattr(model, "_nodes"):  # functional: the graph is in the model's nodes
        in_model = {id(n) for n in model._nodes}
        layers, links = [], []
        for layer in model.layers:
            node = next(n for n in layer._inbound_nodes if id(n) in in_model)
            ins = [t.shape for t in node.input_tensors] or [t.shape for t in node.output_tensors]
            outs = [t.shape for t in node.output_tensors]
            in_dtype = (node.input_tensors or node.output_tensors)[0].dtype
            layers.append((layer, ins, outs, in_dtype, node.output_tensors[0].dtype))
        for node in model._nodes:
            for j, t in enumerate(node.input_tensors):
                source, _, tensor_index = t.keras_history
                links.append((source, tensor_index, node.layer, j))
        inputs = [t.keras_history[0] for t in model.inputs]
        outputs = [(t.keras_history[0], t.keras_history[2]) for t in model.outputs]
        return layers, links, inputs, outputs
    # Sequential: a chain; each layer's input shape is the previous layer's output shape
    layers, shape = [], getattr(model, "_batch_input_shape", None)
    for layer in model.layers:
        out = layer.output_shape
        layers.append((layer, [shape], [out], layer.dtype, layer.dtype))
        shape = out
    links = [(a, 0, b, 0) for a, b in zip(model.layers, model.layers[1:])]
    return layers, links, model.layers[:1], [(model.layers[-1], 0)] if model.layers else []


class _Graph:
    """Boxes (one per drawn layer), arrows between them, and clusters (expanded sub-models)."""

    def __init__(self):
        self.boxes = []      # list of (layer, input_shapes, output_shapes, in_dtype, out_dtype)
        self.arrows = []     # list of (box_index, box_index)
        self.clusters = []   # list of (name, [box_index, ...], depth)

    def add_model(self, model, expand_nested, depth=0):
        """Adds ``model``'s layers; returns (entry boxes per input, exit boxes per output)."""
        layers, links, inputs, outputs = _layer_links(model)
        ends = {}  # id(layer) -> (entries, exits)
        for info in layers:
            layer = info[0]
            if expand_nested and _is_graph_model(layer) and layer.layers:
                start = len(self.boxes)
                ends[id(layer)] = self.add_model(layer, expand_nested, depth + 1)
                self.clusters.append((layer.name, list(range(start, len(self.boxes))), depth + 1))
            else:
                self.boxes.append(info)
                ends[id(layer)] = ([len(self.boxes) - 1], [len(self.boxes) - 1])
        for source, out_index, target, in_index in links:
            exits, entries = ends[id(source)][1], ends[id(target)][0]
            arrow = (exits[min(out_index, len(exits) - 1)],
                     entries[min(in_index, len(entries) - 1)])
            if arrow not in self.arrows:
                self.arrows.append(arrow)
        entries = [ends[id(layer)][0][0] for layer in inputs]
        exits = [ends[id(layer)][1][min(i, len(ends[id(layer)][1]) - 1)] for layer, i in outputs]
        return entries, exits


def _ranks(n, arrows):
    """Rank of each box: the length of the longest path of arrows leading to it."""
    rank = [0] * n
    parents = [[] for _ in range(n)]
    for a, b in arrows:
        parents[b].append(a)
    for _ in range(n):  # NOTE: n relaxation passes are enough for any acyclic graph
        changed = False
        for b in range(n):
            new = max((rank[a] + 1 for a in parents[b]), default=0)
            if new != rank[b]:
                rank[b], changed = new, True
        if not changed:
            break
    return rank, parents


def _order_rows(rank, parents):
    """Boxes of each rank, ordered by the mean position of their parents (fewer crossings)."""
    rows = [[] for _ in range(max(rank, default=-1) + 1)]
    for i, r in enumerate(rank):
        rows[r].append(i)
    position = {}
    for row in rows:
        def key(i):
            ps = [position[p] for p in parents[i] if p in position]
            return (sum(ps) / len(ps) if ps else float("inf"), i)
        row.sort(key=key)
        position.update({i: k - (len(row) - 1) / 2 for k, i in enumerate(row)})
    return rows


def _format_shape(shapes):
    shapes = [tuple(s) if isinstance(s, (list, tuple)) else s for s in shapes]
    return str(shapes[0]) if len(shapes) == 1 else str(shapes)


def _label(info, show_shapes, show_dtype, show_layer_names, show_layer_activations,
           show_trainable):
    layer, ins, outs, in_dtype, out_dtype = info
    kind = type(layer).__name__
    lines = [f"{layer.name} ({kind})" if show_layer_names else kind]
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        lines.append(f"Activation: {getattr(activation, '__name__', activation)}")
    if show_shapes:
        lines += [f"Input shape: {_format_shape(ins)}", f"Output shape: {_format_shape(outs)}"]
    if show_dtype:
        lines += [f"Input dtype: {in_dtype}", f"Output dtype: {out_dtype}"]
    if show_trainable:
        lines.append(f"Trainable: {layer.trainable}")
    return lines


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, **kwargs):
    """Draws the model's layer graph and saves it as an image.

    Each layer is a box (its type, and optionally its name, shapes, dtypes, activation and
    trainable flag); arrows follow the data from the inputs to the outputs.

    Args:
        model: a built Sequential or functional model.
        to_file: image path; the extension picks the format (png, pdf, svg, jpg).
        show_shapes: show each layer's input and output shapes.
        show_dtype: show each layer's input and output dtypes.
        show_layer_names: show layer names as well as types.
        rankdir: 'TB' draws top to bottom, 'LR' left to right.
        expand_nested: draw the layers of nested models inside a dashed frame.
        dpi: image resolution in dots per inch.
        show_layer_activations: show the activation of layers that have one.
        show_trainable: show whether each layer is trainable.

    Returns:
        an ``IPython.display.Image`` (``SVG`` for .svg) of the file when IPython is installed,
        shown inline in notebooks; else None (and None for pdf).

    Example:
        >>> keras.utils.plot_model(model, "model.png", show_shapes=True, show_layer_names=True)
    """
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    kwargs.pop("splines", None)  # Graphviz edge routing: no meaning here
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"`rankdir` must be 'TB' or 'LR'; received rankdir={rankdir!r}")
    _import_matplotlib("plot_model")
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    graph = _Graph()
    graph.add_model(model, expand_nested)
    if not graph.boxes:
        raise ValueError(f"Model '{model.name}' has no layers to plot.")
    labels = [_label(b, show_shapes, show_dtype, show_layer_names, show_layer_activations,
                     show_trainable) for b in graph.boxes]
    width = max(len(line) for lines in labels for line in lines) * _CHAR_WIDTH + 2 * _BOX_PAD
    height = max(len(lines) for lines in labels) * _LINE_HEIGHT + 2 * _BOX_PAD
    rank, parents = _ranks(len(graph.boxes), graph.arrows)
    rows = _order_rows(rank, parents)
    depth = max((d for _, _, d in graph.clusters), default=0)
    margin = _MARGIN + depth * _CLUSTER_PAD

    # "along" follows the arrows (down for TB, right for LR); "across" is the other axis
    along_size, across_size = (height, width) if rankdir == "TB" else (width, height)
    along_gap = _RANK_GAP + 2 * depth * _CLUSTER_PAD
    across_gap = _SIBLING_GAP + 2 * depth * _CLUSTER_PAD
    widest = max(len(row) for row in rows)
    total_across = 2 * margin + widest * across_size + (widest - 1) * across_gap
    total_along = 2 * margin + len(rows) * along_size + (len(rows) - 1) * along_gap
    centers = {}
    for r, row in enumerate(rows):
        along = margin + r * (along_size + along_gap) + along_size / 2
        start = (total_across - (len(row) * across_size + (len(row) - 1) * across_gap)) / 2
        for k, i in enumerate(row):
            across = start + k * (across_size + across_gap) + across_size / 2
            centers[i] = (across, along) if rankdir == "TB" else (along, across)
    fig_w, fig_h = (total_across, total_along) if rankdir == "TB" else (total_along, total_across)

    fig = Figure(figsize=(fig_w, fig_h), dpi=dpi)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, fig_w)
    ax.set_ylim(fig_h, 0)
    ax.set_axis_off()
    for name, members, level in sorted(graph.clusters, key=lambda c: c[2]):
        pad = (depth - level + 1) * _CLUSTER_PAD
        xs = [centers[i][0] for i in members]
        ys = [centers[i][1] for i in members]
        x0, y0 = min(xs) - width / 2 - pad, min(ys) - height / 2 - pad
        x1, y1 = max(xs) + width / 2 + pad, max(ys) + height / 2 + pad
        ax.add_patch(FancyBboxPatch((x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0",
                                    fill=False, linestyle="--", edgecolor="0.45", zorder=1))
        ax.text(x0 + 0.05, y0 + 0.02, name, fontsize=_FONT_SIZE - 2, color="0.35",
                va="top", ha="left", family="DejaVu Sans Mono", zorder=2)
    for a, b in graph.arrows:
        (xa, ya), (xb, yb) = centers[a], centers[b]
        if rankdir == "TB":
            start, end = (xa, ya + height / 2), (xb, yb - height / 2)
        else:
            start, end = (xa + width / 2, ya), (xb - width / 2, yb)
        long_arrow = rank[b] - rank[a] > 1  # skips ranks: curve it around the boxes between
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12,
                                     connectionstyle=f"arc3,rad={0.35 if long_arrow else 0}",
                                     color="0.2", linewidth=1.0, zorder=3))
    for i, lines in enumerate(labels):
        x, y = centers[i]
        ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                    boxstyle="round,pad=0,rounding_size=0.05",
                                    facecolor="#eef3fb", edgecolor="#34495e", linewidth=1.0,
                                    zorder=4))
        top = y - height / 2 + _BOX_PAD + _LINE_HEIGHT / 2
        for k, line in enumerate(lines):
            ax.text(x, top + k * _LINE_HEIGHT, line, ha="center", va="center",
                    fontsize=_FONT_SIZE, family="DejaVu Sans Mono",
                    fontweight="bold" if k == 0 else "normal", zorder=5)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    fig.savefig(to_file, dpi=dpi, format=extension, facecolor="white")
    try:
        from IPython import display
    except ImportError:
        return None
    if extension == "svg":
        return display.SVG(filename=to_file)
    if extension in ("png", "jpg", "jpeg"):
        return display.Image(filename=to_file)
    return None


# --- learning curves -----------------------------------------------------------------------

def plot_history(history, metrics=None, figsize=None, to_file=None):
    """Plots the learning curves of a training run: one panel per quantity (loss first),
    the training curve solid and the validation curve (``val_`` key) dashed.

    Args:
        history: the History returned by ``fit``, or its ``history`` dict.
        metrics: names to plot (without the ``val_`` prefix); default all of them.
        figsize: (width, height) in inches; default 4.5 inches wide per panel.
        to_file: optional path to save the figure to.

    Returns:
        the matplotlib Figure.

    Example:
        >>> history = model.fit(x, y, validation_split=0.2, epochs=20)
        >>> fig = lamina.utils.plot_history(history)
    """
    _import_matplotlib("plot_history")
    import matplotlib.pyplot as plt
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError("plot_history expects a History (from `fit`) or a non-empty dict of "
                         f"per-epoch values; received {history!r}")
    names = [k for k in logs if not k.startswith("val_")]
    names += [k[4:] for k in logs if k.startswith("val_") and k[4:] not in logs]
    names.sort(key=lambda k: k != "loss")  # loss first, the rest in log order
    if metrics is not None:
        unknown = [m for m in metrics if m not in names]
        if unknown:
            raise ValueError(f"Unknown metric(s) {unknown}; the history has {names}.")
        names = list(metrics)
    epochs = getattr(history, "epoch", None)
    cols = min(len(names), 3)
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=figsize or (4.5 * cols, 3.4 * rows),
                             squeeze=False)
    for ax, name in zip(axes.flat, names):
        for key, style in ((name, "-"), ("val_" + name, "--")):
            if key in logs:
                values = logs[key]
                x = ([e + 1 for e in epochs] if epochs and len(epochs) == len(values)
                     else range(1, len(values) + 1))
                ax.plot(list(x), values, style, marker="o", markersize=3, label=key)
        ax.set_title(name)
        ax.set_xlabel("Epoch")
        ax.grid(True, alpha=0.3)
        ax.legend()
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    fig.tight_layout()
    if to_file is not None:
        fig.savefig(os.fspath(to_file))
    return fig
