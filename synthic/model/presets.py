"""The model's named sizes, apart from the model so that command-line parsers list them without
importing jax (every `python -m synthic` job builds every parser)."""

from __future__ import annotations

# Named sizes. Parameter counts with the default vocabulary (9,615 write tokens): tiny about
# 1.6M (minutes on 2 CPU cores), small about 5.6M, base about 92M. "original" re-implements the
# original Synthic's byte-level model (issue 13; jawline/Synthic, predictor/src/model.py) for
# design "original" (259 byte tokens): 5 layers, width 256, a feed-forward of 2,048 (ratio 8),
# local attention over 512 bytes, trained on windows of 1,024 bytes (146 records): 6.62M
# parameters against the original's 6.37M (which had biases and batch norms but no attention
# output projection). Our block otherwise (pre-RMSNorm, rotary, GELU, 4 heads where the
# original had one head, sinusoidal positions and post-norm batch norms), and its 512-byte
# window slides, where the original's attended its own 512-byte bucket and the one before.
PRESETS: dict[str, dict] = {
    "tiny": dict(context=256, layers=2, width=128, heads=4),
    "small": dict(context=512, layers=4, width=256, heads=4),
    "base": dict(context=1024, layers=12, width=768, heads=12),
    "original": dict(
        vocab_size=259, context=1024, layers=5, width=256, heads=4, mlp_ratio=8, window=512
    ),
}
