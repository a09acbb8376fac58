"""What a spawned child process runs to embed claims for a web process that runs tasks
itself (annotator.claims.services.embed_claims): importing the model here keeps it out of the
web process."""

from __future__ import annotations

import numpy as np


def embed(texts: list[str]) -> np.ndarray:
    from annotator.claims.embedding import embed as embed_texts

    return embed_texts(texts)
