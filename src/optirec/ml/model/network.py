"""Our model: product embeddings (id + content) and a causal transformer user-preference encoder.

The model only returns embeddings; the loss lives in `train/loop.py` and retrieval in `model/index.py`. Item code 0
is padding, catalogue items are 1..n_items. A user's score for item i is `user_vector · item_vector[i]`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from optirec.ml.model.content import TEXT_DIM
from optirec.ml.model.dropout import Dropout, MaskSource


@dataclass
class ModelConfig:
    """Architecture and training settings; the defaults are the ones tuned on amazon-beauty validation."""

    dim: int = 64  # embedding width of items, actions, positions and the transformer
    max_len: int = 50  # latest signals the user encoder reads
    layers: int = 2  # transformer blocks
    heads: int = 1  # attention heads per block
    dropout: float = 0.5  # dropout on embeddings, attention and feed-forward (sparse data needs a lot)
    id_dropout: float = 0.1  # share of items whose id embedding is hidden per step, to train content-only vectors
    n_actions: int = 5  # action types (see data.ACTIONS); code 0 of the action table is padding
    epochs: int = 200  # upper bound; training stops early on validation NDCG@10
    batch_size: int = 512  # sequences per step
    negatives: int = 1024  # sampled items per step in the softmax; 0 = the whole catalogue (use on a GPU)
    lr: float = 2e-3  # AdamW learning rate
    weight_decay: float = 0.0  # AdamW weight decay
    eval_every: int = 3  # epochs between validation checks
    patience: int = 3  # validation checks without improvement before stopping
    max_seconds: float = 3600.0  # wall-clock safety net of the training loop (epochs and patience normally stop it)
    threads: int = 1  # torch CPU threads (1 is fastest on a busy 2-core machine); 0 = torch's default
    seed: int = 0  # seeds the initialisation, dropout and batch order


class ItemEncoder(nn.Module):
    """Item vectors = id embedding + mean of attribute-token embeddings + projected text vector."""

    def __init__(self, n_items: int, n_tokens: int, has_text: bool, dim: int) -> None:
        super().__init__()
        self.ids = nn.Embedding(n_items + 1, dim, padding_idx=0)  # (n_items + 1, dim)
        self.tokens = nn.Embedding(n_tokens + 1, dim, padding_idx=0)  # (n_tokens + 1, dim)
        self.text = nn.Linear(TEXT_DIM, dim, bias=False) if has_text else None
        nn.init.normal_(self.ids.weight, std=dim**-0.5)
        nn.init.normal_(self.tokens.weight, std=dim**-0.5)
        with torch.no_grad():
            self.ids.weight[0].zero_()
            self.tokens.weight[0].zero_()

    def content(self, bag: Tensor, text: Tensor | None) -> Tensor:
        """Content-only vectors: bag (n, n_tokens + 1) sparse row-normalised token counts, text (n, TEXT_DIM)."""
        vectors: Tensor = torch.sparse.mm(bag, self.tokens.weight)  # (n, dim): mean of the item's tokens
        if self.text is not None and text is not None:
            vectors = vectors + self.text(text)
        return vectors

    def forward(self, bag: Tensor, text: Tensor | None, id_keep: Tensor | None = None) -> Tensor:
        """The whole table (n_items + 1, dim); `id_keep` (n_items + 1,) zeroes some id embeddings."""
        ids = self.ids.weight
        if id_keep is not None:
            ids = ids * id_keep[:, None]
        return ids + self.content(bag, text)


class Block(nn.Module):
    """Pre-norm transformer block: causal self-attention then a GELU feed-forward, both residual."""

    def __init__(self, dim: int, heads: int, dropout: float, masks: MaskSource) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.ff1 = nn.Linear(dim, dim)
        self.ff2 = nn.Linear(dim, dim)
        self.drop = Dropout(dropout, masks)

    def forward(self, x: Tensor, allowed: Tensor) -> Tensor:
        """x (B, L, dim), allowed (B, 1, L, L) boolean attention mask -> (B, L, dim)."""
        b, length, dim = x.shape
        q, k, v = self.qkv(self.norm1(x)).split(dim, dim=2)  # each (B, L, dim)
        q, k, v = (t.view(b, length, self.heads, dim // self.heads).transpose(1, 2) for t in (q, k, v))
        if self.training and self.drop.p > 0.0:  # the attention weights' dropout masks from our own source
            scores = (q @ k.transpose(-2, -1)).mul_(q.shape[-1] ** -0.5).masked_fill_(~allowed, -torch.inf)
            attn = self.drop(scores.softmax(dim=-1)) @ v  # (B, heads, L, dim / heads)
        else:
            attn = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        x = x + self.drop(self.proj(attn.transpose(1, 2).reshape(b, length, dim)))
        out: Tensor = x + self.drop(self.ff2(self.drop(F.gelu(self.ff1(self.norm2(x)), approximate="tanh"))))
        return out


class UserEncoder(nn.Module):
    """Causal transformer over the latest (item, action) signals; the last position is the user vector."""

    def __init__(self, config: ModelConfig, masks: MaskSource | None = None) -> None:
        super().__init__()
        masks = masks if masks is not None else MaskSource(config.seed)  # every dropout layer draws from one source
        self.scale = math.sqrt(config.dim)
        self.positions = nn.Embedding(config.max_len, config.dim)  # position 0 = oldest slot
        self.actions = nn.Embedding(config.n_actions + 1, config.dim, padding_idx=0)
        self.drop = Dropout(config.dropout, masks)
        self.blocks = nn.ModuleList(
            Block(config.dim, config.heads, config.dropout, masks) for _ in range(config.layers)
        )
        self.norm = nn.LayerNorm(config.dim)

    def forward(self, item_vectors: Tensor, actions: Tensor) -> Tensor:
        """item_vectors (B, L, dim) of left-padded sequences, actions (B, L) with 0 = padding -> (B, L, dim)."""
        length = item_vectors.shape[1]
        real = actions > 0  # (B, L)
        # the newest signal always sits at the last position embedding, whatever the padded length
        x = item_vectors * self.scale + self.positions.weight[-length:] + self.actions(actions)
        x = self.drop(x) * real[..., None]
        causal = torch.ones(length, length, dtype=torch.bool, device=x.device).tril()
        eye = torch.eye(length, dtype=torch.bool, device=x.device)
        allowed = ((causal & real[:, None, :]) | eye)[:, None]  # (B, 1, L, L)
        for block in self.blocks:
            x = block(x, allowed)
        out: Tensor = self.norm(x)
        return out


class SequenceRecommender(nn.Module):
    """Product embeddings plus the user-preference encoder, sharing one item table for input and output."""

    def __init__(self, config: ModelConfig, n_items: int, n_tokens: int, has_text: bool) -> None:
        super().__init__()
        self.config = config
        self.items = ItemEncoder(n_items, n_tokens, has_text, config.dim)
        self.user = UserEncoder(config)

    def forward(
        self,
        seq: Tensor,
        actions: Tensor,
        token_ids: Tensor,
        text: Tensor | None,
        id_keep: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        """seq, actions (B, L) -> hidden states (B, L, dim) and the item table (n_items + 1, dim)."""
        table = self.items(token_ids, text, id_keep)
        return self.user(table[seq], actions), table
