"""``tf.device`` and ``tf.config``: where computations run.

lamina runs on the active backend (``lamina.set_backend``: 'numpy' for the CPU, 'cupy' for
an NVIDIA GPU), so device placement and memory settings change nothing.
"""
import collections
import contextlib

from lamina import backend

PhysicalDevice = collections.namedtuple("PhysicalDevice", ["name", "device_type"])


@contextlib.contextmanager
def device(device_name):
    """Context manager naming a device ('/CPU:0', '/GPU:0'); the backend decides where
    arrays live, so it changes nothing."""
    if not isinstance(device_name, str) and device_name is not None:
        raise TypeError(f"device expects a device name such as '/CPU:0', got {device_name!r}.")
    yield


def list_physical_devices(device_type=None):
    """The CPU, plus the GPU when the 'cupy' backend is active."""
    devices = [PhysicalDevice("/physical_device:CPU:0", "CPU")]
    if backend.backend() == "cupy":
        devices.append(PhysicalDevice("/physical_device:GPU:0", "GPU"))
    return [d for d in devices if device_type is None or d.device_type == device_type.upper()]


def list_logical_devices(device_type=None):
    """Same as ``list_physical_devices``."""
    return list_physical_devices(device_type)


def set_visible_devices(devices, device_type=None):
    """Accepted for TensorFlow compatibility; the backend decides (``lamina.set_backend``)."""


class experimental:  # noqa: N801 (TensorFlow's name)
    """``tf.config.experimental``: memory settings, accepted and ignored."""

    @staticmethod
    def set_memory_growth(device, enable):
        """Accepted for TensorFlow compatibility; lamina allocates as NumPy/CuPy do."""

    list_physical_devices = staticmethod(list_physical_devices)
