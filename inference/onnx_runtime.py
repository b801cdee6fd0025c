"""ONNX export of a run directory and an ONNX Runtime stand-in for its torch model.

``bienphong export --model DIR --onnx [--int8]`` writes ``DIR/onnx/model.onnx``
(fp32, dynamic batch and sequence axes) and optionally ``DIR/onnx/model-int8.onnx``
(dynamic int8 quantization of the MatMul/Gemm weights). ``Tagger.load(DIR,
runtime="onnx")`` then tags through an ``onnxruntime.InferenceSession`` without
loading the torch weights at all; windows, batches, softmax and decoding stay the
Tagger's own, so only the forward pass differs.

Each exported file carries the run's ``model_version`` in its metadata: an export
left behind by an earlier training run of the same directory is refused instead of
silently tagging with old weights.
"""

from __future__ import annotations

import logging
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np

from annotations.errors import BienphongError
from annotations.io import atomic_directory
from inference import run_directory

ONNX_DIR = "onnx"
FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
VERSION_KEY = "bienphong_model_version"
OPSET = 18
# The exported graph must reproduce torch on the export's own probe batch; fp32 differs by float rounding only.
EXPORT_TOLERANCE = 1e-4


def onnx_file(directory: str | Path, int8: bool = False) -> Path:
    return Path(directory) / ONNX_DIR / (INT8_FILE if int8 else FP32_FILE)


def _export_command(directory: str | Path, int8: bool) -> str:
    return f"bienphong export --model {directory} --onnx" + (" --int8" if int8 else "")


class OnnxModel:
    """``(input_ids, attention_mask) -> probabilities``, the same contract as the Tagger's torch forward."""

    def __init__(self, path: Path, threads: int):
        import onnxruntime as ort

        options = ort.SessionOptions()
        # One knob for both runtimes: ORT uses as many threads as torch would (benchmarks set 1).
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # warnings about unused initializers are noise for users
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # ORT raises its own exception types for corrupt or foreign files
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise BienphongError(f"{path}: cannot load the ONNX model ({first_line})") from None
        self.path = path
        self.metadata = dict(self.session.get_modelmeta().custom_metadata_map)

    def logits(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": input_ids.astype(np.int64), "attention_mask": attention_mask.astype(np.int64)}
        return self.session.run(["logits"], feed)[0]

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        logits = self.logits(input_ids, attention_mask).astype(np.float32)
        shifted = np.exp(logits - logits.max(-1, keepdims=True))  # stable softmax, as torch's
        return shifted / shifted.sum(-1, keepdims=True)


def load_run(directory: str | Path, int8: bool = False) -> tuple[run_directory.RunModel, OnnxModel]:
    """The run's tokenizer and settings (no torch weights) and its exported ONNX model, checked to belong together."""
    import torch

    directory = Path(directory)
    settings, id2label = run_directory.read_settings(directory)
    path = onnx_file(directory, int8)
    if not path.is_file():
        raise BienphongError(f"{directory}: no ONNX export ({path} is missing); run `{_export_command(directory, int8)}`")
    model = OnnxModel(path, torch.get_num_threads())
    exported = model.metadata.get(VERSION_KEY)
    if exported != settings.model_version:
        raise BienphongError(
            f"{path} was exported from model version {exported!r}, not {settings.model_version!r};"
            f" run `{_export_command(directory, int8)}` again"
        )
    try:
        tokenizer = run_directory.load_tokenizer(directory)
    except (OSError, ValueError) as error:
        raise BienphongError(f"{directory}: cannot load the tokenizer ({error})") from None
    return run_directory.RunModel(None, tokenizer, settings, id2label), model


def _probe_batch(max_length: int, pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Two rows, the second padded: tracing with padding keeps the mask logic general (an all-ones mask may be skipped)."""
    width = min(max_length, 13)  # odd, below any real max_length: no size coincides with a model dimension
    rng = np.random.default_rng(0)
    ids = rng.integers(5, 100, size=(2, width), dtype=np.int64)
    mask = np.ones_like(ids)
    ids[1, width // 2 :] = pad_id
    mask[1, width // 2 :] = 0
    return ids, mask


@contextmanager
def _quiet() -> Iterator[None]:
    """The exporter and the quantizer talk a lot (progress lines, deprecation notes); the CLI prints its own summary."""
    import contextlib
    import io

    loggers = [logging.getLogger(), logging.getLogger("torch.onnx")]  # torch's own loggers do not propagate
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _stamp(path: Path, model_version: str) -> None:
    import onnx

    proto = onnx.load(str(path))
    del proto.metadata_props[:]
    proto.metadata_props.add(key=VERSION_KEY, value=model_version)
    onnx.save(proto, str(path))


def _export_fp32(run: run_directory.RunModel, path: Path, ids: np.ndarray, mask: np.ndarray) -> None:
    import torch

    class Logits(torch.nn.Module):
        """Only the two inputs the Tagger feeds, and only the logits out: the graph's whole interface."""

        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask).logits

    axes = {0: "batch", 1: "sequence"}
    with _quiet():
        # The default (dynamo) exporter: the legacy TorchScript one traced transformers 5's mask code into constants
        # and gave wrong logits for other shapes.
        torch.onnx.export(
            Logits(run.model).eval(),
            (torch.from_numpy(ids), torch.from_numpy(mask)),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["logits"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "logits": axes},
            opset_version=OPSET,
            external_data=False,  # one self-contained file (models here are far below protobuf's 2 GB limit)
            dynamo=True,
        )


def _check_against_torch(run: run_directory.RunModel, path: Path, ids: np.ndarray, mask: np.ndarray) -> None:
    """Refuse an export whose graph does not reproduce torch on the real (unpadded) positions."""
    import torch

    with torch.inference_mode():
        expected = run.model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).logits.numpy()
    got = OnnxModel(path, torch.get_num_threads()).logits(ids, mask)
    difference = float(np.abs(got - expected)[mask == 1].max())
    if difference > EXPORT_TOLERANCE * max(1.0, float(np.abs(expected).max())):
        raise BienphongError(f"{path}: the ONNX graph differs from the torch model by {difference:.2e}; export refused")


def export(directory: str | Path, int8: bool = False) -> list[Path]:
    """Write ``DIR/onnx/model.onnx`` (and ``model-int8.onnx``) atomically; returns the files written."""
    from inference.preprocess import Preprocessor

    directory = Path(directory)
    run = run_directory.load(directory)  # a directory that is not a model fails here, with its own message
    ids, mask = _probe_batch(run.settings.max_length, Preprocessor(run.tokenizer, run.settings).pad_id)
    with atomic_directory(directory / ONNX_DIR) as folder:
        # Everything is rebuilt together: an int8 file left from older weights would be stale.
        fp32 = folder / FP32_FILE
        _export_fp32(run, fp32, ids, mask)
        _stamp(fp32, run.settings.model_version)
        _check_against_torch(run, fp32, ids, mask)
        names = [FP32_FILE]
        if int8:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            with _quiet():
                quantize_dynamic(fp32, folder / INT8_FILE, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gemm"])
            _stamp(folder / INT8_FILE, run.settings.model_version)
            names.append(INT8_FILE)
    return [directory / ONNX_DIR / name for name in names]
