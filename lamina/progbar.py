"""The text progress bar that ``fit``, ``evaluate`` and downloads print.

It reproduces Keras 2's output, the format course material shows::

    1875/1875 [==============================] - 6s 3ms/step - loss: 0.2978 - accuracy: 0.9123

and, with ``verbose=2``, one line without a bar::

    1875/1875 - 6s - loss: 0.2978 - accuracy: 0.9123 - 6s/epoch - 3ms/step
"""
import os
import sys
import time


class Progbar:
    """Displays a progress bar.

    Args:
        target: Total number of steps expected, None if unknown.
        width: Progress bar width on screen, in characters.
        verbose: 0 (silent), 1 (bar) or 2 (one line when done).
        interval: Minimum time in seconds between two redraws.
        stateful_metrics: Names of values shown as given instead of averaged
            over the steps (e.g. metrics that already are running averages).
        unit_name: Display name for a step ("step", "sample", "byte", ...).
    """

    def __init__(self, target, width=30, verbose=1, interval=0.05,
                 stateful_metrics=None, unit_name="step"):
        if verbose not in (0, 1, 2):
            raise ValueError(f"Progbar verbose must be 0, 1 or 2, got {verbose!r}.")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        # Redraw in place on a terminal or in a notebook; a file or pipe gets
        # one finished line per bar instead of a trail of partial ones.
        self._dynamic_display = (
            (hasattr(sys.stdout, "isatty") and sys.stdout.isatty())
            or "ipykernel" in sys.modules
            or "PYCHARM_HOSTED" in os.environ)
        self._total_width = 0
        self._seen_so_far = 0
        self._values = {}  # name -> [weighted sum, weight]; insertion order = display order
        self._start = time.time()
        self._last_update = 0
        self._time_at_epoch_start = self._start
        self._time_at_epoch_end = None
        self._time_after_first_step = None

    def update(self, current, values=None, finalize=None):
        """Updates the progress bar.

        Args:
            current: Index of the current step (steps done so far).
            values: List of ``(name, value_for_last_step)`` pairs. A name in
                ``stateful_metrics`` is shown as given; others are shown as
                their average over the steps, weighted by step count.
            finalize: Whether this is the last update. If None, it is
                ``current >= target``.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target

        for name, value in values or ():
            if name in self.stateful_metrics:
                self._values[name] = [value, 1]
            else:
                # The value covers the steps since the last update; at least 1,
                # so a repeated update at the same step still counts.
                weight = max(current - self._seen_so_far, 1)
                if name in self._values:
                    self._values[name][0] += value * weight
                    self._values[name][1] += weight
                else:
                    self._values[name] = [value * weight, weight]
        self._seen_so_far = current

        now = time.time()
        if current == self.target:
            self._time_at_epoch_end = now
        if self.verbose == 1:
            # NOTE: fit() calls this every batch; between redraws it is only the
            # bookkeeping above, so the bar costs nothing measurable.
            if not finalize and (now - self._last_update < self.interval
                                 or not self._dynamic_display):
                return
            self._print_bar(current, now, finalize)
        elif self.verbose == 2 and finalize:
            self._print_line(current, now)
        self._last_update = now

    def add(self, n, values=None):
        """Advances the bar by ``n`` steps (see ``update`` for ``values``)."""
        self.update(self._seen_so_far + n, values)

    def _print_bar(self, current, now, finalize):
        """verbose=1: ``12/100 [==>.....] - ETA: 3s - loss: 0.1234``."""
        prev_total_width = self._total_width
        message = "\b" * prev_total_width + "\r" if self._dynamic_display else ""

        if self.target is not None:
            numdigits = len(str(int(self.target)))
            bar = "%*d/%d [" % (numdigits, current, self.target)
            prog_width = int(self.width * current / self.target)
            if prog_width > 0:
                bar += "=" * (prog_width - 1)
                bar += ">" if current < self.target else "="
            bar += "." * (self.width - prog_width) + "]"
        else:
            bar = "%7d/Unknown" % current
        self._total_width = len(bar)
        message += bar

        time_per_unit = self._estimate_step_duration(current, now)
        if self.target is None or finalize:
            info = " - %.0fs" % (now - self._start)
            info += _format_time(time_per_unit, self.unit_name)
        else:
            info = " - ETA: " + _format_eta(time_per_unit * (self.target - current))
        info += self._format_values()

        # Blank out the tail of a longer previous line.
        self._total_width += len(info)
        if prev_total_width > self._total_width:
            info += " " * (prev_total_width - self._total_width)
        if finalize:
            info += "\n"
        _write(message + info)

    def _print_line(self, current, now):
        """verbose=2: ``100/100 - 6s - loss: 0.1234 - 6s/epoch - 60ms/step``."""
        if self.target is not None:
            info = "%*d/%d" % (len(str(int(self.target))), current, self.target)
        else:
            info = "%7d/Unknown" % current
        info += " - %.0fs" % (now - self._start)
        info += self._format_values()
        if self._time_at_epoch_end:
            time_per_epoch = self._time_at_epoch_end - self._time_at_epoch_start
            info += " -" + _format_time(time_per_epoch, "epoch")
            info += " -" + _format_time(time_per_epoch / self.target, self.unit_name)
            self._time_at_epoch_start = now
            self._time_at_epoch_end = None
        _write(info + "\n")

    def _format_values(self):
        info = ""
        for name, (total, weight) in self._values.items():
            avg = float(total) / max(1, weight)
            # Keras 2: four decimals, scientific notation for small values (and 0).
            info += f" - {name}: {avg:.4f}" if abs(avg) > 1e-3 else f" - {name}: {avg:.4e}"
        return info

    def _estimate_step_duration(self, current, now):
        """Seconds per step, leaving out the (slow, compiling) first step when possible."""
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            time_per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            time_per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return time_per_unit


def _format_time(seconds, unit_name):
    """`` 3ms/step``: whole seconds, milliseconds or microseconds per unit."""
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit_name}"
    return f" {seconds * 1e6:.0f}us/{unit_name}"


def _format_eta(eta):
    """``1:02:03``, ``2:03`` or ``45s``."""
    if eta > 3600:
        return "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
    if eta > 60:
        return "%d:%02d" % (eta // 60, eta % 60)
    return "%ds" % eta


def _write(message):
    sys.stdout.write(message)
    sys.stdout.flush()
