"""The embedding model run by ONNX Runtime, int8-quantised, exported offline from the packaged weights.

Why not sentence-transformers' ``backend="onnx"``: it needs ``optimum-onnx``, whose only releases
require ``transformers<4.58`` while this stack runs transformers 5 (installing it would downgrade
transformers and huggingface-hub under sentence-transformers 6). The export it would make is the same
three steps done here with what is installed: ``torch.onnx.export`` of the transformer, ONNX Runtime's
dynamic int8 quantisation (per-channel weights), and the model's own pooling and normalisation.

The export is made once from the local weights (never downloaded) and cached under
``<data dir>/models``; later processes load the cached file in well under a second.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

#: Backends the Embedder can run; the one used is recorded with the index.
BACKENDS = ("torch", "onnx-int8")

#: Bump when the export recipe changes, so a stale cached file is remade.
EXPORT_VERSION = 1
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _pooling(model_dir: Path) -> str:
    """The model's pooling mode (sentence-transformers' ``1_Pooling/config.json``); mean if absent."""
    modules = model_dir / "modules.json"
    if modules.exists():
        for module in json.loads(modules.read_text()):
            if module.get("type", "").endswith("Pooling"):
                config = json.loads((model_dir / module["path"] / "config.json").read_text())
                if config.get("pooling_mode_mean_tokens"):
                    return "mean"
                if config.get("pooling_mode_cls_token"):
                    return "cls"
                raise ValueError(f"unsupported pooling in {model_dir}: {config}")
    return "mean"


def _max_seq_length(model_dir: Path) -> int:
    config = model_dir / "sentence_bert_config.json"
    return int(json.loads(config.read_text()).get("max_seq_length", 256)) if config.exists() else 256


def export_path(cache_dir: Path, model_id: str, backend: str) -> Path:
    """Where the export of ``model_id`` for ``backend`` is cached."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "--", model_id).strip("-")
    return cache_dir / f"{slug}--{backend}-v{EXPORT_VERSION}" / "model.onnx"


def export_int8(model_dir: Path, target: Path) -> Path:
    """Export the transformer of the sentence-transformers model in ``model_dir`` to ONNX and quantise
    its weights to int8. Written to a temporary file and renamed, so a concurrent reader never sees
    half a file."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(model_dir), device="cpu")
    transformer = st[0].auto_model.eval()
    sample = st.tokenizer(["an export sample", "a second, longer export sample text"], padding=True,
                          return_tensors="pt")
    names = [n for n in _INPUTS if n in sample]

    class LastHidden(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, *args: torch.Tensor) -> torch.Tensor:
            return self.model(**dict(zip(names, args, strict=True))).last_hidden_state

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32, int8 = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes on python-level branches fixed at export
            torch.onnx.export(
                LastHidden(transformer), tuple(sample[n] for n in names), str(fp32),
                input_names=names, output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
                opset_version=17, dynamo=False,
            )
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
        os.replace(int8, target)
    return target


class OnnxModel:
    """The part of ``SentenceTransformer`` the Embedder uses (``encode``, ``tokenizer``,
    ``max_seq_length``, ``get_embedding_dimension``), run by ONNX Runtime."""

    def __init__(self, onnx_file: Path, model_dir: Path) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        self.max_seq_length = _max_seq_length(model_dir)
        self.pooling = _pooling(model_dir)
        options = ort.SessionOptions()
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.session.get_inputs()]
        self._dimension = int(self.session.get_outputs()[0].shape[-1])

    def get_embedding_dimension(self) -> int:
        return self._dimension

    def encode(self, texts: list[str], batch_size: int = 32, normalize_embeddings: bool = True,
               **_ignored: Any) -> np.ndarray:
        out = []
        for start in range(0, len(texts), batch_size):
            encoded = self.tokenizer(texts[start : start + batch_size], padding=True, truncation=True,
                                     max_length=self.max_seq_length, return_tensors="np")
            hidden = self.session.run(None, {n: encoded[n].astype(np.int64) for n in self.input_names})[0]
            if self.pooling == "cls":
                vectors = hidden[:, 0]
            else:
                mask = encoded["attention_mask"][..., None].astype(np.float32)
                vectors = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            if normalize_embeddings:
                vectors = vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
            out.append(vectors.astype(np.float32))
        return np.concatenate(out) if out else np.zeros((0, self._dimension), dtype=np.float32)


def load_int8(model_dir: str, model_id: str, cache_dir: Path) -> OnnxModel:
    """The cached int8 export of the model, made first if missing."""
    target = export_path(cache_dir, model_id, "onnx-int8")
    if not target.exists():
        export_int8(Path(model_dir), target)
    return OnnxModel(target, Path(model_dir))
