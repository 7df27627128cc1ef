"""`python -m mnist_core train | evaluate | predict`: every bad input ends in one line on stderr and a
non-zero exit, never a traceback; the real-data round trip train -> evaluate -> predict."""

from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import need
from helpers_core import REPO, crafted_png, draw_digit, real_mnist, real_source
from mnist_core.__main__ import main
from mnist_core.checkpoints import default_checkpoint_path, load_checkpoint, save_checkpoint
from mnist_core.config import ModelConfig, TrainConfig
from mnist_core.train import new_model


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """No test writes the parsed-array cache to ~/.cache."""
    monkeypatch.setenv("MNIST_CACHE_DIR", str(tmp_path / "cache"))


def run_main(argv: list[str], capsys) -> tuple[int, str, str]:
    """main() in this process: an exception escaping it is what would have been a traceback."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:  # argparse
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def run_cli(*argv, timeout: int = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-m", "mnist_core", *map(str, argv)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


def assert_one_line_error(code, err: str, *words: str) -> str:
    assert code not in (0, None), f"exit status {code}"
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"stderr is not one line: {err!r}"
    for word in words:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"
    return lines[0]


@pytest.fixture
def tiny_checkpoint(tmp_path) -> Path:
    config = ModelConfig(hidden=(16,))
    model = new_model(config, 0, torch.device("cpu"))
    return save_checkpoint(tmp_path / "tiny.pt", model, model_config=config, train_config=TrainConfig(),
                           metrics={"accuracy": 0.1}, command="test")  # fmt: skip


# -------------------------------------------------------------------------------------- bad options


@pytest.mark.parametrize(
    "options, word",
    [
        (["--epochs", "0"], "epochs"),
        (["--epochs", "-3"], "epochs"),
        (["--lr", "0"], "lr"),
        (["--lr", "-1"], "lr"),
        (["--lr", "nan"], "lr"),
        (["--batch-size", "0"], "batch_size"),
        (["--hidden", "0"], "hidden"),
        (["--hidden", "100", "0"], "hidden"),
        (["--dropout", "1"], "dropout"),
        (["--epochs", "three"], "--epochs"),
        (["--bogus"], "--bogus"),
        (["--preset", "nope"], "--preset"),
        (["--hidden"], "--hidden"),
        (["--preset", "best", "--epochs", "2"], "clean_epochs"),  # its last 3 epochs are undistorted
        (["--clean-epochs", "-1"], "clean_epochs"),
    ],
)
def test_train_refuses_bad_options_before_touching_data(options, word, capsys, tmp_path):
    # The data folder does not exist: the option must be refused first, naming the option.
    argv = ["train", *options, "--data-dir", tmp_path / "nodata", "--out", tmp_path / "x.pt"]
    code, out, err = run_main(argv, capsys)
    assert_one_line_error(code, err, word)
    assert not (tmp_path / "x.pt").exists()


def test_no_command_and_unknown_command(capsys):
    for argv in ([], ["fly"], ["predict"]):
        code, _, err = run_main(argv, capsys)
        assert_one_line_error(code, err)


def test_train_missing_data_dir(capsys, tmp_path):
    argv = ["train", "--epochs", "1", "--data-dir", tmp_path / "nodata", "--out", tmp_path / "x.pt"]
    code, out, err = run_main(argv, capsys)
    assert_one_line_error(code, err, "nodata")
    assert not (tmp_path / "x.pt").exists()


def test_train_broken_data_dir(capsys, tmp_path):
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03\x00")  # cut in the header
    code, _, err = run_main(["train", "--data-dir", tmp_path / "mnist", "--out", tmp_path / "x.pt"], capsys)
    assert_one_line_error(code, err, "train-images-idx3-ubyte")


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_unavailable_device(command, capsys, tmp_path, tiny_checkpoint):
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    extra = ["--checkpoint", tiny_checkpoint] if command == "evaluate" else ["--out", tmp_path / "x.pt"]
    for device, word in (("cuda", "CUDA is not available"), ("tpu9", "tpu9")):
        code, _, err = run_main([command, "--device", device, "--data-dir", tmp_path / "nodata", *extra], capsys)
        line = assert_one_line_error(code, err, word)
        assert "nodata" not in line  # the device is refused before any data is looked for


# ---------------------------------------------------------------------------------- bad checkpoints


def bad_checkpoints(folder: Path, good: Path) -> dict[str, Path]:
    folder.mkdir(exist_ok=True)
    files = {
        "zero bytes": b"",
        "random bytes": np.random.default_rng(0).bytes(3000),
        "truncated": good.read_bytes()[: good.stat().st_size // 2],
        "text": b"not a checkpoint\n",
    }
    paths = {}
    for name, body in files.items():
        paths[name] = folder / (name.replace(" ", "_") + ".pt")
        paths[name].write_bytes(body)
    paths["foreign"] = folder / "foreign.pt"
    torch.save({"a": 1}, paths["foreign"])
    paths["plain pickle"] = folder / "pickle.pt"
    paths["plain pickle"].write_bytes(pickle.dumps({"format": "mnist_core.checkpoint/1", "os": os.system}, protocol=4))
    paths["missing"] = folder / "absent.pt"
    return paths


@pytest.mark.parametrize(
    "kind", ["zero bytes", "random bytes", "truncated", "text", "foreign", "plain pickle", "missing"]
)
@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_bad_checkpoint(kind, command, capsys, tmp_path, tiny_checkpoint):
    path = bad_checkpoints(tmp_path / "bad", tiny_checkpoint)[kind]
    Image.fromarray(draw_digit(100)).save(tmp_path / "digit.png")
    argv = ["evaluate", "--checkpoint", path, "--data-dir", tmp_path / "nodata"] if command == "evaluate" else [
        "predict", "--checkpoint", path, tmp_path / "digit.png"]  # fmt: skip
    code, out, err = run_main(argv, capsys)
    assert_one_line_error(code, err, path.name)
    assert out == ""


def test_evaluate_good_checkpoint_missing_data(capsys, tmp_path, tiny_checkpoint):
    code, _, err = run_main(["evaluate", "--checkpoint", tiny_checkpoint, "--data-dir", tmp_path / "nodata"], capsys)
    assert_one_line_error(code, err, "nodata")


# --------------------------------------------------------------------------------------------- predict


def image_files(folder: Path) -> tuple[dict[str, Path], dict[str, Path]]:
    """(good, bad) image files for predict."""
    folder.mkdir(exist_ok=True)
    digit = draw_digit(200)
    good = {"digit.png": folder / "digit.png", "canvas.png": folder / "canvas.png", "deep.png": folder / "deep.png"}
    Image.fromarray(digit).save(good["digit.png"])
    canvas = np.zeros((*digit.shape, 4), np.uint8)
    canvas[..., 3] = 255 - digit
    Image.fromarray(canvas).save(good["canvas.png"])
    Image.fromarray(digit.astype(np.uint16) * 257).save(good["deep.png"])
    bad = {name: folder / name for name in ("notes.png", "empty.png", "cut.png", "bomb.png", "bomb12k.png",
                                            "tiny.png", "blank.png", "absent.png")}  # fmt: skip
    bad["notes.png"].write_text("hello\n")
    bad["empty.png"].write_bytes(b"")
    noisy = folder / "noisy.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (100, 100), dtype=np.uint8)).save(noisy)
    bad["cut.png"].write_bytes(noisy.read_bytes()[:3000])
    bad["bomb.png"].write_bytes(crafted_png(50_000, 50_000, colour_type=6))
    bad["bomb12k.png"].write_bytes(crafted_png(12_000, 12_000))
    Image.new("L", (1, 1), 0).save(bad["tiny.png"])
    Image.new("L", (280, 280), 255).save(bad["blank.png"])
    return good, bad


def check_prediction_line(line: str, image: Path) -> dict:
    answer = json.loads(line)
    assert set(answer) == {"image", "digit", "probabilities"}
    assert answer["image"] == str(image)
    probs = answer["probabilities"]
    assert len(probs) == 10 and all(isinstance(p, float) and 0 <= p <= 1 for p in probs)
    assert sum(probs) == pytest.approx(1.0, abs=1e-4)
    assert answer["digit"] == int(np.argmax(probs))
    return answer


def test_predict_mixed_good_and_bad_in_process(capsys, tmp_path, tiny_checkpoint):
    good, bad = image_files(tmp_path / "images")
    order = [good["digit.png"], *bad.values(), good["canvas.png"], good["deep.png"]]
    code, out, err = run_main(["predict", "--checkpoint", tiny_checkpoint, *order], capsys)
    assert code == 1
    out_lines = out.strip().splitlines()
    names = ("digit.png", "canvas.png", "deep.png")
    assert [json.loads(line)["image"] for line in out_lines] == [str(good[n]) for n in names]
    answers = [check_prediction_line(line, good[n]) for line, n in zip(out_lines, names)]
    assert len({a["digit"] for a in answers}) == 1  # the same drawing in three forms: one answer
    err_lines = err.strip().splitlines()
    assert "Traceback" not in err and len(err_lines) == len(bad)
    for line, path in zip(err_lines, bad.values()):
        assert str(path) in line
    assert "too large" in err_lines[list(bad).index("bomb.png")]
    assert "too large" in err_lines[list(bad).index("bomb12k.png")]


def test_predict_as_a_process(tmp_path, tiny_checkpoint):
    """The whole process: stdout only JSON lines, stderr only one line per bad file, exit status 1."""
    good, bad = image_files(tmp_path / "images")
    done = run_cli("predict", "--checkpoint", tiny_checkpoint, good["digit.png"], *bad.values(), good["canvas.png"])
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "Warning" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == len(bad)
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 2
    check_prediction_line(lines[0], good["digit.png"])
    check_prediction_line(lines[1], good["canvas.png"])


def test_predict_all_good_exits_zero(capsys, tmp_path, tiny_checkpoint):
    good, _ = image_files(tmp_path / "images")
    code, out, err = run_main(["predict", "--checkpoint", tiny_checkpoint, *good.values()], capsys)
    assert code == 0 and err == ""
    assert len(out.strip().splitlines()) == 3


@pytest.mark.slow
@pytest.mark.parametrize("options", [["train", "--epochs", "0"], ["evaluate", "--checkpoint", "/nonexistent/x.pt"],
                                     ["train", "--unknown"]])  # fmt: skip
def test_bad_input_as_a_process(options, tmp_path):
    done = run_cli(*options, "--data-dir", tmp_path / "nodata")
    assert done.returncode != 0 and done.stdout == ""
    assert_one_line_error(done.returncode, done.stderr)


class TouchOnLoad:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.mark.slow
@pytest.mark.parametrize("protocol", [2, 4])
def test_code_carrying_checkpoint_as_a_process(tmp_path, protocol):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    payload = {"format": "mnist_core.checkpoint/1", "metrics": TouchOnLoad(marker)}
    evil.write_bytes(pickle.dumps(payload, protocol=protocol))
    Image.fromarray(draw_digit(100)).save(tmp_path / "digit.png")
    for argv in (["predict", "--checkpoint", evil, tmp_path / "digit.png"],
                 ["evaluate", "--checkpoint", evil, "--data-dir", tmp_path / "nodata"]):  # fmt: skip
        done = run_cli(*argv)
        assert_one_line_error(done.returncode, done.stderr, "evil.pt")
        assert done.stdout == ""
    assert not marker.exists(), "the checkpoint ran code"


# ------------------------------------------------------------------------------------------- real data


@pytest.mark.realdata
@pytest.mark.slow
def test_train_evaluate_predict_on_real_data(tmp_path):
    source = real_source()
    data = ["--data-dir", source] if source else []  # none: OpenML, as the tutorial loads it
    out = tmp_path / "x.pt"
    done = run_cli("train", *data, "--epochs", "1", "--json", "--out", out)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stdout.strip().splitlines()
    untrained = re.fullmatch(r"Untrained test accuracy: (\d+)/10000 \((\d+\.\d\d)%\)", lines[0])
    assert untrained, lines[0]
    trained = [re.fullmatch(r"Test accuracy: (\d+)/10000 \((\d+\.\d\d)%\)", line) for line in lines]
    trained = [m for m in trained if m]
    assert len(trained) == 1
    assert any(line.startswith("Epoch 1/1") for line in lines)
    result = json.loads(lines[-1])
    assert {"untrained_accuracy", "accuracy", "correct", "total", "train_seconds", "checkpoint"} <= result.keys()
    assert result["total"] == 10_000 and result["correct"] == int(trained[0].group(1))
    assert result["accuracy"] == pytest.approx(result["correct"] / 10_000)
    assert float(trained[0].group(2)) == pytest.approx(100 * result["accuracy"], abs=0.006)
    assert result["untrained_accuracy"] == pytest.approx(int(untrained.group(1)) / 10_000)
    assert 0.05 <= result["untrained_accuracy"] <= 0.15 and result["accuracy"] > 0.9
    assert result["train_seconds"] > 0 and result["checkpoint"] == str(out) and out.is_file()

    checkpoint = load_checkpoint(out)
    assert checkpoint.meta["command"] == " ".join(["python -m mnist_core train", *data, f"--epochs 1 --json --out {out}"])
    assert checkpoint.train_config.epochs == 1 and checkpoint.metrics["accuracy"] == result["accuracy"]

    done = run_cli("evaluate", "--checkpoint", out, *data, "--json")
    assert done.returncode == 0, done.stderr
    evaluation = json.loads(done.stdout.strip().splitlines()[-1])
    expected = {"accuracy": result["accuracy"], "correct": result["correct"], "total": 10_000, "checkpoint": str(out)}
    assert evaluation == expected

    # predict on real test digits, written as big dark-on-light pictures
    _, split = real_mnist()
    paths = []
    for i in range(20):
        picture = 255 - (split.x_test[i].reshape(28, 28) * 255).astype(np.uint8)
        paths.append(tmp_path / f"digit{i}-{split.y_test[i]}.png")
        Image.fromarray(picture).resize((224, 224), Image.Resampling.BICUBIC).save(paths[-1])
    done = run_cli("predict", "--checkpoint", out, *paths)
    assert done.returncode == 0 and done.stderr == ""
    answers = [check_prediction_line(line, path) for line, path in zip(done.stdout.strip().splitlines(), paths)]
    assert len(answers) == 20
    assert sum(a["digit"] == int(split.y_test[i]) for i, a in enumerate(answers)) >= 16


@pytest.mark.realdata
def test_evaluate_default_checkpoint_matches_its_metrics(capsys):
    """Without --checkpoint, evaluate uses the shipped default; its recorded accuracy is reproduced."""
    source = real_source()
    path = default_checkpoint_path()
    need(path.is_file(), f"{path} is missing: the repository ships it")
    code, out, err = run_main(["evaluate", *(["--data-dir", source] if source else []), "--json"], capsys)
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["checkpoint"] == str(path)
    assert result["accuracy"] == load_checkpoint(path).metrics["accuracy"]


def test_train_and_evaluate_share_the_checkpoint_folder(capsys, tmp_path, monkeypatch):
    """$MNIST_CHECKPOINT_DIR (the app's setting too) is where `train` writes and `evaluate` reads."""
    import mnist_core.__main__ as cli
    from mnist_core.data import Mnist

    rng = np.random.default_rng(0)
    tiny = Mnist(rng.integers(0, 256, (700, 784), dtype=np.uint8), rng.integers(0, 10, 700), "tiny")
    monkeypatch.setattr(cli, "load_mnist", lambda data_dir=None: tiny)
    monkeypatch.setenv("MNIST_CHECKPOINT_DIR", str(tmp_path / "shared"))
    monkeypatch.chdir(tmp_path)  # not where the files must go
    code, out, err = run_main(["train", "--epochs", "1", "--hidden", "8"], capsys)
    assert code == 0, err
    written = tmp_path / "shared" / "tutorial-seed0.pt"
    assert written.is_file() and not (tmp_path / "checkpoints").exists()
    written.rename(tmp_path / "shared" / "tutorial.pt")
    code, out, err = run_main(["evaluate"], capsys)
    assert code == 0, err
    assert f"Checkpoint: {tmp_path / 'shared' / 'tutorial.pt'}" in out
