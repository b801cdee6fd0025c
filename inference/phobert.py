"""A fast PhoBERT tokenizer, rebuilt from PhoBERT's own ``vocab.txt`` and ``bpe.codes``.

Why: transformers' ``PhobertTokenizer`` is Python-only, and tokenising every word
of a corpus with it is slow. This module builds the same tokenizer with the
`tokenizers` library (about 5x faster): fastBPE merges with ``@@`` continuation,
whitespace-only pre-tokenization (PhoBERT input is word-segmented text such as
``Bộ_đội Biên_phòng``), ``<s> $A </s>`` around each sequence. Its ids equal those
of ``PhobertTokenizer.from_pretrained(directory)``.

One thing `tokenizers` cannot express by itself: fastBPE merges can stop at an
intermediate piece that is not in ``vocab.txt`` (2,118 of PhoBERT's merge results
are not), and PhoBERT maps such a piece to ``<unk>`` (id 3). A BPE model needs a
distinct id for every merge result because its merge table is keyed by id pairs,
so those pieces get ids after ``<mask>`` (64000) inside the backend, and
:class:`PhobertTokenizerFast` maps them to ``<unk>`` in every encoding it returns.
For the same reason it saves ``vocab.txt`` and ``bpe.codes`` rather than a
``tokenizer.json``: a saved copy reloads as PhoBERT's own (slow) tokenizer, or fast
again through :func:`build_fast_tokenizer`.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, processors
from transformers import PreTrainedTokenizerFast

from annotations.errors import BienphongError

VOCAB_FILE = "vocab.txt"
MERGES_FILE = "bpe.codes"
SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>")  # ids 0-3, then vocab.txt, then <mask>
MASK_TOKEN = "<mask>"
CONTINUATION = "@@"  # PhoBERT marks every subword but the last of a word with it
END_OF_WORD = "</w>"  # fastBPE marks the last symbol of a word with it while merging

# Python's \s (what PhobertTokenizer splits on), spelled out for the Rust regex engine.
_WHITESPACE = "".join(f"\\x{{{c:X}}}" for c in range(sys.maxunicode + 1) if chr(c).isspace())


def is_phobert_dir(path: str | os.PathLike) -> bool:
    """True when ``path`` is a directory with PhoBERT's ``vocab.txt`` and ``bpe.codes``."""
    path = Path(path)
    return (path / VOCAB_FILE).is_file() and (path / MERGES_FILE).is_file()


def read_vocab(path: Path) -> list[str]:
    """Tokens of ``vocab.txt`` (``token count`` lines) in id order, parsed as PhobertTokenizer does."""
    tokens = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if " " not in line:
            raise BienphongError(f"{path}:{number}: expected '<token> <count>', got {line!r}")
        tokens.append(line[: line.rfind(" ")])
    if len(set(tokens)) != len(tokens):
        raise BienphongError(f"{path}: duplicate tokens")
    return tokens


def read_merges(path: Path) -> list[tuple[str, str]]:
    """Merges of ``bpe.codes`` (``left right count`` lines) by rank, parsed as PhobertTokenizer does.

    Like PhobertTokenizer: the text after the last newline is ignored, a line is split on
    any whitespace (so the 22 lines with a no-break space lose a symbol and can never
    apply), and a repeated pair takes the rank of its last occurrence.
    """
    lines = path.read_text(encoding="utf-8").split("\n")[:-1]
    merges = [tuple(line.split()[:-1]) for line in lines]
    ranks = {merge: rank for rank, merge in enumerate(merges) if len(merge) == 2}
    return sorted(ranks, key=ranks.get)


def _internal(token: str) -> str:
    """PhoBERT token -> the fastBPE symbol it stands for: ``ab@@`` -> ``ab``, ``ab`` -> ``ab</w>``."""
    return token[: -len(CONTINUATION)] if token.endswith(CONTINUATION) else token + END_OF_WORD


def _phobert(symbol: str) -> str:
    """fastBPE symbol -> PhoBERT token (the inverse of :func:`_internal`)."""
    return symbol[: -len(END_OF_WORD)] if symbol.endswith(END_OF_WORD) else symbol + CONTINUATION


def _backend(tokens: list[str], merges: list[tuple[str, str]]) -> Tokenizer:
    """The `tokenizers` pipeline; ids >= len(tokens) are merge pieces missing from vocab.txt."""
    vocab = {token: i for i, token in enumerate(tokens) if token in SPECIAL_TOKENS or token == MASK_TOKEN}
    for i, token in enumerate(tokens[len(SPECIAL_TOKENS) : -1], start=len(SPECIAL_TOKENS)):
        vocab[_internal(token)] = i
    if len(vocab) != len(tokens):
        raise BienphongError("vocab.txt has tokens that stand for the same BPE symbol")
    for left, right in merges:
        for symbol in (left, right, left + right):
            vocab.setdefault(symbol, len(vocab))

    tokenizer = Tokenizer(
        models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", end_of_word_suffix=END_OF_WORD, fuse_unk=False)
    )
    # PhobertTokenizer takes re.findall(r"\S+\n?"): a newline right after a word stays in it.
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex(f"[^{_WHITESPACE}]+\\n?"), behavior="removed", invert=True)
    tokenizer.decoder = decoders.BPEDecoder(suffix=END_OF_WORD)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B:0 </s>:0",
        special_tokens=[("<s>", 0), ("</s>", 2)],
    )
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS])
    tokenizer.add_special_tokens([AddedToken(MASK_TOKEN, special=True, normalized=False)])
    return tokenizer


class PhobertTokenizerFast(PreTrainedTokenizerFast):
    """PhoBERT's tokenizer on the `tokenizers` backend (offsets, ``word_ids()``, batch speed).

    Build it with :func:`build_fast_tokenizer`. Ids, tokens, vocabulary and decoding
    follow ``PhobertTokenizer``, except that ``tokenize()`` shows a character missing
    from the vocabulary as ``<unk>`` (PhobertTokenizer shows the character) and that
    ``BatchEncoding.tokens()`` shows the backend's fastBPE symbols (``Biên_phòng</w>``).
    """

    vocab_files_names = {"vocab_file": VOCAB_FILE, "merges_file": MERGES_FILE}
    model_input_names = ["input_ids", "attention_mask"]

    def __init__(self, *args, phobert_tokens: list[str], merges_file: str, **kwargs):
        # Set first: the base class looks special tokens up while it initialises.
        self._tokens = phobert_tokens
        self._ids = {token: i for i, token in enumerate(phobert_tokens)}
        self._unk_id = self._ids["<unk>"]
        self.merges_file = merges_file
        super().__init__(*args, **kwargs)

    def _convert_encoding(self, *args, **kwargs):
        encoding_dict, encodings = super()._convert_encoding(*args, **kwargs)
        size, unk = len(self._tokens), self._unk_id
        encoding_dict["input_ids"] = [
            ids if not ids or max(ids) < size else [i if i < size else unk for i in ids] for ids in encoding_dict["input_ids"]
        ]
        return encoding_dict, encodings

    def tokenize(self, text: str, pair: str | None = None, add_special_tokens: bool = False, **kwargs) -> list[str]:
        """PhoBERT tokens (``Biên@@``, ``phòng``) rather than the backend's fastBPE symbols."""
        symbols = super().tokenize(text, pair=pair, add_special_tokens=add_special_tokens, **kwargs)
        return [s if s in SPECIAL_TOKENS or s == MASK_TOKEN else _phobert(s) for s in symbols]

    def _convert_token_to_id_with_added_voc(self, token: str) -> int:
        return self._ids.get(token, self._unk_id)

    def _convert_id_to_token(self, index: int) -> str | None:
        return self._tokens[index] if 0 <= index < len(self._tokens) else None

    def convert_ids_to_tokens(self, ids, skip_special_tokens: bool = False):
        if isinstance(ids, int):
            return self._convert_id_to_token(ids)
        skip = set(self.all_special_ids) if skip_special_tokens else set()
        return [self._convert_id_to_token(int(i)) for i in ids if int(i) not in skip]

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        return " ".join(tokens).replace(CONTINUATION + " ", "").strip()

    def _decode(self, token_ids, skip_special_tokens: bool = False, clean_up_tokenization_spaces=None, **kwargs):
        if isinstance(token_ids, int):
            token_ids = [token_ids]
        text = self.convert_tokens_to_string(self.convert_ids_to_tokens(token_ids, skip_special_tokens))
        if clean_up_tokenization_spaces or (clean_up_tokenization_spaces is None and self.clean_up_tokenization_spaces):
            text = self.clean_up_tokenization(text)
        return text

    @property
    def vocab_size(self) -> int:
        return len(self._tokens) - 1  # as PhobertTokenizer: <mask> is an added token

    def __len__(self) -> int:
        return len(self._tokens)

    def get_vocab(self) -> dict[str, int]:
        return dict(self._ids)

    def _save_pretrained(self, save_directory, file_names, legacy_format=None, filename_prefix=None):
        """Save PhoBERT's own files: a tokenizer.json would hold the backend's extra ids."""
        prefix = f"{filename_prefix}-" if filename_prefix else ""
        saved = []
        for source, name in ((self.vocab_file, VOCAB_FILE), (self.merges_file, MERGES_FILE)):
            target = Path(save_directory) / f"{prefix}{name}"
            if Path(source).resolve() != target.resolve():
                shutil.copyfile(source, target)
            saved.append(str(target))
        return (*file_names, *saved)


def build_fast_tokenizer(directory: str | os.PathLike, model_max_length: int = 256) -> PhobertTokenizerFast:
    """A fast tokenizer with the same ids as ``PhobertTokenizer.from_pretrained(directory)``.

    ``model_max_length`` defaults to 256 subwords: PhoBERT's config says 258 positions,
    but two are offset, and padding to 258 crashes.
    """
    directory = Path(directory)
    if not is_phobert_dir(directory):
        raise BienphongError(f"{directory}: not a PhoBERT tokenizer directory (needs {VOCAB_FILE} and {MERGES_FILE})")
    tokens = [*SPECIAL_TOKENS, *read_vocab(directory / VOCAB_FILE), MASK_TOKEN]
    return PhobertTokenizerFast(
        tokenizer_object=_backend(tokens, read_merges(directory / MERGES_FILE)),
        phobert_tokens=tokens,
        vocab_file=str(directory / VOCAB_FILE),
        merges_file=str(directory / MERGES_FILE),
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token=MASK_TOKEN,
        model_max_length=model_max_length,
    )
