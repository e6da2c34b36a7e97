"""Export a model for serving: ONNX (``model.export(path, format="onnx")``) and ONNX Runtime.

``onnx`` and ``onnxruntime`` are the ``[onnx]`` extra; they are imported when used.
"""
from lamina.export.onnx import export_model, export_onnx, onnx_predict
from lamina.export.onnx_converters import exported_layers

__all__ = ["export_model", "export_onnx", "exported_layers", "onnx_predict"]
