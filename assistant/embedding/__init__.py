"""The packaged sentence model, run by torch or as int8 ONNX, one batch at a time."""
