"""Command line: `python -m mnist_core train | evaluate [--drawings FILE] | predict`.

Every failure ends in one line on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from dataclasses import replace
from pathlib import Path

import torch

from .checkpoints import checkpoint_dir, default_checkpoint_path, load_checkpoint, remove_leftovers, save_checkpoint
from .config import ModelConfig, TrainConfig
from .data import load_mnist, seed_split
from .drawings import load_drawings
from .evaluation import Evaluation
from .images import read_image
from .mixing import add_drawings, record, repeats
from .model import default_device, predict_proba
from .preprocess import Problem, prepare
from .presets import PRESETS
from .run import run_training
from .train import Progress, evaluate

PROBLEMS = {  # the command line's words for preprocess's codes (the app has its own catalogues)
    Problem.EMPTY: "no ink found",
    Problem.TOO_SMALL: "too small to read",
    Problem.SCRIBBLE: "a scribble, not one digit",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        self.exit(2, f"{self.prog}: error: {message}\n")


def _accuracy_line(label: str, correct: int, total: int) -> str:
    return f"{label}: {correct}/{total} ({100 * correct / total:.2f}%)"


def _device(name: str | None) -> torch.device:
    if name in (None, "auto"):
        return default_device()
    device = torch.device(name)  # RuntimeError for a name torch does not know
    if device.type == "cuda" and not torch.cuda.is_available():  # else: AssertionError and a traceback
        raise ValueError(f"--device {name}: CUDA is not available on this machine")
    return device


def _configs(args) -> tuple[ModelConfig, TrainConfig]:
    model_config, train_config = PRESETS[args.preset]
    if args.hidden is not None or args.dropout is not None:
        hidden = args.hidden if args.hidden is not None else model_config.hidden
        dropout = args.dropout if args.dropout is not None else model_config.dropout
        model_config = ModelConfig(hidden=tuple(hidden), dropout=dropout)
    names = ("epochs", "lr", "batch_size", "seed", "clean_epochs")
    overrides = {k: getattr(args, k) for k in names if getattr(args, k) is not None}
    return model_config, replace(train_config, **overrides)  # dataclass validation raises ValueError


def cmd_train(args) -> int:
    model_config, train_config = _configs(args)
    out = Path(args.out) if args.out else checkpoint_dir() / f"{args.preset}-seed{train_config.seed}.pt"
    device = _device(args.device)
    leftovers = remove_leftovers(out.parent)  # of saves killed before their rename, in the folder written to
    if leftovers:
        print(f"Removed {len(leftovers)} temporary file(s) of interrupted saves from {out.parent}", flush=True)
    split = seed_split(load_mnist(data_dir=args.data_dir))
    split, drawn = _with_drawings(args, split)

    def stage(name: str, before: Evaluation | None) -> None:
        if name == "training":
            print(_accuracy_line("Untrained test accuracy", before.correct, before.total), flush=True)

    def report(p: Progress) -> None:
        if p.batch == p.batches:
            print(f"Epoch {p.epoch}/{p.epochs}: loss {p.loss:.4f}, train accuracy {100 * p.accuracy:.2f}%", flush=True)

    result = run_training(model_config, train_config, split, device=device, on_stage=stage, on_progress=report)
    print(_accuracy_line("Test accuracy", result.after.correct, result.after.total))
    metrics = result.metrics() | ({"drawings": drawn} if drawn else {})
    command = "python -m mnist_core " + shlex.join(args.argv)
    save_checkpoint(out, result.model, model_config=model_config, train_config=train_config, metrics=metrics, command=command)
    print(f"Saved {out} (training loop {result.train_seconds:.1f} s)")
    if args.json:
        keys = ("untrained_accuracy", "accuracy", "correct", "total", "train_seconds")
        print(json.dumps({k: metrics[k] for k in keys} | {"checkpoint": str(out)}))
    return 0


def _with_drawings(args, split):
    """The split with `--drawings FILE` added to its training part (repeated: mnist_core.mixing), and
    the checkpoint's record of them; (split, None) without the option."""
    if not args.drawings:
        return split, None
    x, y = load_drawings(args.drawings)
    if not len(y):
        raise ValueError(f"{args.drawings} holds no drawings")
    repeat = args.drawings_repeat or repeats(len(y), len(split.x_train))
    print(f"Added {len(y)} drawings from {args.drawings}, {repeat} times each ({len(y) * repeat} rows)", flush=True)
    return add_drawings(split, x, y, repeat), record(y, repeat, Path(args.drawings).name)


def _evaluation_data(args):
    """(x, y, label): the seed split's test part, or the drawings of `--drawings FILE`."""
    if not args.drawings:
        split = seed_split(load_mnist(data_dir=args.data_dir))
        return split.x_test, split.y_test, "Test accuracy"
    x, y = load_drawings(args.drawings)
    if not len(y):
        raise ValueError(f"{args.drawings} holds no drawings")
    return x, y, "Drawings accuracy"


def cmd_evaluate(args) -> int:
    path = Path(args.checkpoint) if args.checkpoint else default_checkpoint_path()
    checkpoint = load_checkpoint(path, device=_device(args.device))
    x, y, label = _evaluation_data(args)
    result = evaluate(checkpoint.model, x, y, device=_device(args.device))
    print(f"Checkpoint: {path}")
    print(_accuracy_line(label, result.correct, result.total))
    if args.json:
        print(json.dumps({"accuracy": result.accuracy, "correct": result.correct, "total": result.total, "checkpoint": str(path)}
                         | ({"drawings": str(args.drawings)} if args.drawings else {})))  # fmt: skip
    return 0


def cmd_predict(args) -> int:
    path = Path(args.checkpoint) if args.checkpoint else default_checkpoint_path()
    model = load_checkpoint(path).model
    failures = 0
    for image in args.images:
        try:
            prepared = prepare(read_image(image))
            if prepared.empty:
                raise ValueError(f"{image}: nothing to classify ({PROBLEMS[prepared.problem]})")
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            failures += 1
            continue
        probs = predict_proba(model, torch.from_numpy(prepared.flat[None]))[0]
        print(json.dumps({"image": image, "digit": int(probs.argmax()), "probabilities": [round(float(p), 6) for p in probs]}))
    return 1 if failures else 0


def _repeat(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1 to 1000")
    return int(text)


def _train_parser(sub) -> None:
    p = sub.add_parser("train", help="train an MLP on the seed split and save a checkpoint")
    p.add_argument("--preset", choices=sorted(PRESETS), default="tutorial", help="defaults for everything below")
    p.add_argument("--epochs", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--hidden", type=int, nargs="+", metavar="N")
    p.add_argument("--dropout", type=float)
    p.add_argument("--seed", type=int)
    p.add_argument("--clean-epochs", type=int, help="of the epochs, how many at the end train on undistorted digits")
    p.add_argument("--drawings", metavar="FILE", help="add a room's exported drawings (.npz) to the training set")
    p.add_argument("--drawings-repeat", type=_repeat, metavar="N",
                   help="times each drawing is added (default: until they are 5%% of the training rows, at most 50)")
    p.add_argument("--out", help="checkpoint path (default: PRESET-seedSEED.pt in $MNIST_CHECKPOINT_DIR or checkpoints/)")
    p.set_defaults(func=cmd_train)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m mnist_core", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _train_parser(sub)
    e = sub.add_parser("evaluate", help="test accuracy of a checkpoint on the seed split, or on exported drawings")
    e.add_argument("--checkpoint", help="default: the app's default checkpoint")
    e.add_argument("--drawings", metavar="FILE", help="a room's exported drawings (.npz) instead of the test split")
    e.set_defaults(func=cmd_evaluate)
    for p in (sub.choices["train"], e):
        p.add_argument("--data-dir", help="folder of MNIST IDX files (default $MNIST_DATA_DIR, else OpenML)")
        p.add_argument("--json", action="store_true", help="end with one JSON line")
        p.add_argument("--device", default="auto", help="cpu, cuda, ... (default: cuda if available)")
    pr = sub.add_parser("predict", help="classify image files of single digits, one JSON line each")
    pr.add_argument("--checkpoint")
    pr.add_argument("images", nargs="+", metavar="IMAGE")
    pr.set_defaults(func=cmd_predict)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        return args.func(args)
    except (ValueError, OSError, RuntimeError) as e:  # DataError and CheckpointError are ValueErrors
        print(f"error: {' '.join(str(e).split()) or type(e).__name__}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: nothing saved", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
