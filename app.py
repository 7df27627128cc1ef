"""`streamlit run app.py`: the tutorial's multilayer perceptron learning MNIST, as a live demo.

The tutorial "다층 퍼셉트론으로 MNIST 분류하기" for a room: draw a digit and see what the network
reads, browse the test images it gets right and wrong, train it again from the page, and switch
between saved checkpoints. All machine learning lives in `mnist_core`; this file holds widgets,
caching and session state, one small function per section.

Sharing rules (one server process, a room of browsers, each session's script runs in its own thread):
- `st.cache_resource` holds what every session shares: the data and the checkpoints' models. They are
  read-only: the arrays are flagged non-writeable and the models are only ever used for inference.
- `st.session_state` holds what is one person's: the active model, a model they trained (theirs until
  they save it), their training job.

Settings from the environment: MNIST_DATA_DIR (a folder of MNIST IDX files; else OpenML),
MNIST_CHECKPOINT_DIR (default: the repository's checkpoints/), MNIST_APP_TRAIN_THREADS (torch
threads for a training; default torch's own, see `train_threads`).
"""

from __future__ import annotations

import html
import logging
import math
import os
import threading
import time
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

# Before torch loads: OpenMP threads that sleep when idle instead of spinning. With spinning
# threads, a training that shares its cores with other sessions' script runs stalls (measured on 2
# cores with one other busy core: 19.2 s an epoch of the tutorial spinning, 3.2 s sleeping).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402
import torch  # noqa: E402
from streamlit_drawable_canvas import st_canvas  # noqa: E402
from torch import nn  # noqa: E402

from mnist_core import checkpoints as ckpt  # noqa: E402
from mnist_core import data as mdata  # noqa: E402
from mnist_core import train as mtrain  # noqa: E402
from mnist_core.model import ModelConfig, default_device, predict_proba  # noqa: E402
from mnist_core.preprocess import Prepared, prepare  # noqa: E402
from mnist_core.presets import PRESETS  # noqa: E402

logger = logging.getLogger("mnist_app")
# The shared arrays are read-only on purpose; torch warns when it wraps one without copying.
warnings.filterwarnings("ignore", message="The given NumPy array is not writable")

SECTIONS = ("Draw", "Test images", "Train", "Data", "Model")
TRAINED = "your model (not saved)"  # the `active` value meaning the session's own model
TUTORIAL_INDEX = 2018  # the test image the tutorial predicts
CANVAS_PX = 336  # 12 screen pixels per MNIST pixel
POLL_S = 1.0  # how often a running training's progress is redrawn (each redraw takes the GIL from it)
ABANDON_S = 300  # a training nobody has looked at for this long (tab closed) is stopped
LIMITS = {"epochs": 100, "hidden": 4096, "layers": 6, "batch_size": 60_000}  # one server, shared
TUTORIAL_MODEL, TUTORIAL_TRAIN = PRESETS["tutorial"]
# Widgets whose values must survive while their tab is closed (lazy tabs do not render them).
DEFAULTS = {
    "train_epochs": TUTORIAL_TRAIN.epochs,
    "train_lr": TUTORIAL_TRAIN.lr,
    "train_batch": TUTORIAL_TRAIN.batch_size,
    "train_hidden": ", ".join(str(h) for h in TUTORIAL_MODEL.hidden),
    "train_seed": TUTORIAL_TRAIN.seed,
    "save_name": "",
    "test_only_wrong": False,
    "data_index": 0,
}
DATA_HELP = (
    "Draw and Model need no data and keep working. To use MNIST from files, put the four IDX files "
    "(`train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`, `t10k-images-idx3-ubyte.gz`, "
    "`t10k-labels-idx1-ubyte.gz`) in a folder and start the app with "
    "`MNIST_DATA_DIR=/path/to/folder streamlit run app.py`. Without `MNIST_DATA_DIR` the app "
    "downloads `mnist_784` from OpenML once, which needs internet access."
)
CSS = """<style>
[data-testid="stMainBlockContainer"] {padding-top: 2.5rem;}
[data-testid="stTab"] p {font-size: 1.35rem; font-weight: 600;}
[class*="st-key-draw_canvas"] {margin-top: 2.4rem;}  /* room for the canvas's own toolbar */
.prediction {text-align: center; border: 4px solid #e4572e; border-radius: 18px; padding: .4rem 1rem 1rem; margin-bottom: 1.5rem;}
.prediction-title {font-size: 1.6rem; font-weight: 600;}
.prediction-digit {font-size: 10rem; font-weight: 800; line-height: 1; color: #e4572e;}
.prediction-note {font-size: 1.2rem;}
.test-result {font-size: 1.8rem; line-height: 1.5;}
.test-result b {font-size: 2.6rem;}
.right {color: #2e7d32; font-weight: 700;}
.wrong {color: #c62828; font-weight: 700;}
.prompt {font-size: 1.8rem; padding: 3rem 1rem; text-align: center; border: 3px dashed #999; border-radius: 18px;}
</style>"""


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def one_line(error: BaseException) -> str:
    """An exception as one line for the page: tracebacks go to the server log only."""
    return " ".join(str(error).split()) or type(error).__name__


# ---------------------------------------------------------------------------------------------------
# Data: loaded once per server, on first need


@dataclass(frozen=True)
class Dataset:
    mnist: mdata.Mnist  # all 70000 rows in mnist_784 order, uint8
    split: mdata.Split  # the seed split, float32 in [0, 1]


@st.cache_resource(show_spinner=False)
def load_dataset() -> Dataset:
    """The data, shared by every session.

    cache_resource, not cache_data: cache_data would unpickle a private copy of ~300 MB of arrays on
    every rerun of every session. Shared instead, and flagged read-only so nobody can change them.
    """
    mnist = mdata.load_mnist()
    split = mdata.seed_split(mnist)
    for array in (mnist.images, mnist.labels, split.x_train, split.y_train, split.x_test, split.y_test):
        array.flags.writeable = False
    return Dataset(mnist, split)


def require_data(section: str) -> Dataset | None:
    """The data for a section, with a spinner the first time; None, after saying what to do, without it."""
    error = st.session_state.get("data_error")
    if error is None:
        try:
            with st.spinner("Loading MNIST (the first time takes a while) ..."):
                return load_dataset()
        except (mdata.DataError, ValueError, OSError) as e:
            logger.warning("MNIST cannot be loaded: %s", e)
            # Remembered per session, so a missing network is not waited for again on every rerun.
            error = st.session_state["data_error"] = one_line(e)
    st.error(f"The MNIST data cannot be loaded: {error}")
    st.info(DATA_HELP)
    st.button("Try again", key=f"data_retry_{section}", on_click=st.session_state.pop, args=("data_error", None))
    return None


# ---------------------------------------------------------------------------------------------------
# Models: checkpoints shared by all, a trained model per session


@dataclass(frozen=True)
class ModelChoice:
    """A model that can be made active: a checkpoint's, or the one this session trained."""

    name: str  # checkpoint stem, or TRAINED
    model: nn.Module  # eval mode; never changed once made (shared models are used by many sessions)
    model_config: ModelConfig
    train_config: mtrain.TrainConfig
    metrics: dict
    created: str
    cache_id: str  # identifies these weights in the prediction cache

    @property
    def architecture(self) -> str:
        text = "-".join(str(n) for n in (784, *self.model_config.hidden, 10))
        return text + (f", dropout {self.model_config.dropout:g}" if self.model_config.dropout else "")

    @property
    def accuracy(self) -> float | None:
        value = self.metrics.get("accuracy")
        return None if value is None else float(value)

    @property
    def label(self) -> str:
        accuracy = "" if self.accuracy is None else f" · {100 * self.accuracy:.2f}% test accuracy"
        return f"{self.name} · {self.architecture}{accuracy}"


def checkpoint_folder() -> Path:
    return Path(os.environ.get("MNIST_CHECKPOINT_DIR") or ckpt.CHECKPOINT_DIR)


@st.cache_resource(max_entries=64, show_spinner=False)
def read_checkpoint(path: str, stamp: tuple[int, int]) -> tuple[ModelChoice | None, str | None]:
    """One checkpoint file, read once per version (`stamp` is its mtime and size); errors are kept too."""
    try:
        c = ckpt.load_checkpoint(path)
    except ckpt.CheckpointError as e:
        return None, one_line(e)
    created = str(c.meta.get("created") or "")
    return ModelChoice(c.name, c.model, c.model_config, c.train_config, c.metrics, created, f"{path}@{stamp}"), None


def list_models() -> tuple[list[ModelChoice], list[str]]:
    """Every loadable checkpoint, best first, and one line per unloadable file.

    Keyed by the files' stamps, so a checkpoint saved by any session appears in every list at once.
    """
    found, errors = [], []
    for path in sorted(checkpoint_folder().glob("*.pt")):
        try:
            info = path.stat()
        except OSError:  # removed between the listing and now
            continue
        choice, error = read_checkpoint(str(path), (info.st_mtime_ns, info.st_size))
        found.extend([choice] if choice else [])
        errors.extend([error] if error else [])
    found.sort(key=lambda c: -(c.accuracy or 0.0))
    return found, errors


def model_choices() -> dict[str, ModelChoice]:
    choices = {c.name: c for c in list_models()[0]}
    trained = st.session_state.get("trained")
    if trained is not None:
        choices[TRAINED] = trained
    return choices


def active_model() -> ModelChoice | None:
    """This session's active model: its choice if still there, else the default checkpoint."""
    choices = model_choices()
    name = st.session_state.get("active")
    if name not in choices:
        default = ckpt.default_checkpoint_path(checkpoint_folder()).stem
        name = default if default in choices else next(iter(choices), None)
        st.session_state["active"] = name
    return choices.get(name)


def require_model() -> ModelChoice | None:
    model = active_model()
    if model is None:
        st.error(f"No usable checkpoint in {checkpoint_folder()}: train a model in the Train tab first.")
    return model


def predict(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """Probabilities (B, 10) for inputs (B, 784) in [0, 1]."""
    return predict_proba(model, torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))).numpy()


@st.cache_data(max_entries=16, show_spinner="Classifying the test images ...")
def test_probabilities(cache_id: str, _model: nn.Module, _x_test: np.ndarray) -> np.ndarray:
    """The active model's probabilities for every test image, computed once per model."""
    return np.concatenate([predict(_model, _x_test[i : i + 2000]) for i in range(0, len(_x_test), 2000)])


# ---------------------------------------------------------------------------------------------------
# Pictures and charts


def pixels(ink: np.ndarray, size: int) -> np.ndarray:
    """An ink map as a square uint8 picture about `size` pixels wide, with sharp square pixels."""
    h, w = ink.shape
    side = max(h, w)
    square = np.zeros((side, side), np.float32)  # padded, not stretched: a "1" stays thin
    square[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = np.clip(ink, 0, 1)
    scale = max(1, size // side)
    return (np.kron(square, np.ones((scale, scale))) * 255).astype(np.uint8)


def probability_chart(probs: np.ndarray, height: int = 300) -> None:
    """The ten class probabilities as bars, the predicted class highlighted; large labels for a projector.

    A Vega-Lite spec written out, not Altair: Altair validates its spec on every rerun, which costs
    tens of milliseconds of the GIL that the other sessions and a running training share.
    """
    frame = pd.DataFrame({"digit": [str(d) for d in range(10)], "probability": probs.astype(float)})
    frame["predicted"] = frame["probability"] == frame["probability"].max()
    spec = {
        "mark": {"type": "bar", "tooltip": True},
        "height": height,
        "encoding": {
            "x": {"field": "digit", "type": "nominal", "sort": None, "title": None, "axis": {"labelAngle": 0, "labelFontSize": 24}},
            "y": {"field": "probability", "type": "quantitative", "scale": {"domain": [0, 1]}, "title": None,
                  "axis": {"format": "%", "labelFontSize": 16}},
            "color": {"condition": {"test": "datum.predicted", "value": "#e4572e"}, "value": "#7f8fa6"},
        },
    }  # fmt: skip
    st.vega_lite_chart(frame, spec, width="stretch")


def line_chart(frame: pd.DataFrame, column: str, height: int = 240) -> None:
    """One training curve against the epoch (fractional); a plain Vega-Lite spec, cheap to redraw."""
    spec = {
        "mark": {"type": "line"},
        "height": height,
        "encoding": {
            "x": {"field": "epoch", "type": "quantitative", "title": "epoch", "axis": {"labelFontSize": 14, "titleFontSize": 14}},
            "y": {"field": column, "type": "quantitative", "title": None, "axis": {"labelFontSize": 14}},
        },
    }
    st.vega_lite_chart(frame, spec, width="stretch")


def big_prediction(digit: int, confidence: float, model_name: str) -> str:
    """The predicted digit, large; `data-digit` lets the browser test read it."""
    return (
        f'<div class="prediction" id="prediction" data-digit="{digit}">'
        f'<div class="prediction-title">Prediction</div><div class="prediction-digit">{digit}</div>'
        f'<div class="prediction-note">{100 * confidence:.1f}% sure · model: {html.escape(model_name)}</div></div>'
    )


# ---------------------------------------------------------------------------------------------------
# Draw


def predict_drawing(image: np.ndarray, model: nn.Module) -> tuple[Prepared, np.ndarray | None]:
    """A canvas picture -> its preprocessing stages and, unless there is nothing to read, probabilities."""
    prepared = prepare(image, polarity="light")  # the canvas draws white ink on black
    return prepared, None if prepared.empty else predict(model, prepared.flat[None])[0]


def clear_canvas() -> None:
    # A canvas with a new key is a new, empty canvas.
    st.session_state["canvas_gen"] = st.session_state.get("canvas_gen", 0) + 1


def drawing_canvas() -> np.ndarray | None:
    """The square canvas and its Clear button; the drawing as an RGBA array, None before any stroke."""
    result = st_canvas(
        stroke_width=24,
        stroke_color="#FFFFFF",
        background_color="#000000",
        width=CANVAS_PX,
        height=CANVAS_PX,
        drawing_mode="freedraw",
        return_image_data=True,
        key=f"draw_canvas_{st.session_state.get('canvas_gen', 0)}",
    )
    st.button("Clear", key="draw_clear", on_click=clear_canvas, icon=":material/delete:")
    try:
        return result.image_data
    except (ValueError, OSError) as e:  # a picture the browser sent that cannot be decoded
        logger.warning("canvas image not readable: %s", e)
        return None


def show_stages(prepared: Prepared | None) -> None:
    """The drawing on its way in: cropped to the digit, then the 28x28 picture the network receives."""
    if prepared is None or prepared.problem == "nothing drawn yet":
        return
    st.markdown("**What the network receives**")
    st.image(pixels(prepared.crop, 150), caption="cropped to the digit", width=150)
    st.image(pixels(prepared.digit, 224), caption="28x28 input: fitted in 20x20, centred by mass", width=224)


def show_drawing_prediction(prepared: Prepared | None, probs: np.ndarray | None, model: ModelChoice) -> None:
    if probs is None:
        problem = None if prepared is None else prepared.problem
        if problem in (None, "nothing drawn yet"):
            st.markdown('<div class="prompt" id="draw-prompt">Draw one digit, 0 to 9, on the black square</div>', unsafe_allow_html=True)
        else:
            st.warning(f"No prediction: {problem}.")
        st.caption(f"Model: {model.label}")
        return
    digit = int(probs.argmax())
    st.markdown(big_prediction(digit, float(probs[digit]), model.name), unsafe_allow_html=True)
    probability_chart(probs, height=260)


def draw_section() -> None:
    model = require_model()
    if model is None:
        return
    left, middle, right = st.columns([4, 3, 5], gap="large")  # drawing -> network's view -> answer
    with left:
        image = drawing_canvas()
    prepared, probs = (None, None) if image is None else predict_drawing(image, model.model)
    with middle:
        show_stages(prepared)
    with right:
        show_drawing_prediction(prepared, probs, model)


# ---------------------------------------------------------------------------------------------------
# Test images


def step_test_index(delta: int, n: int, wrong: np.ndarray) -> None:
    """Previous/Next: one image, or with "only misclassified" the previous/next misclassified one (wrapping)."""
    i = int(st.session_state.get("test_index", 0))
    if not st.session_state.get("test_only_wrong"):
        st.session_state["test_index"] = int(np.clip(i + delta, 0, n - 1))
    elif len(wrong):
        pos = np.searchsorted(wrong, i, side="right") if delta > 0 else np.searchsorted(wrong, i, side="left") - 1
        st.session_state["test_index"] = int(wrong[pos % len(wrong)])


def jump_to_misclassified(wrong: np.ndarray) -> None:
    """Turning "only misclassified" on moves to the first misclassified image from the current one."""
    i = int(st.session_state.get("test_index", 0))
    if st.session_state.get("test_only_wrong") and len(wrong) and i not in set(wrong.tolist()):
        st.session_state["test_index"] = int(wrong[np.searchsorted(wrong, i) % len(wrong)])


def test_index_controls(n: int, wrong: np.ndarray) -> int:
    if int(st.session_state.get("test_index", min(TUTORIAL_INDEX, n - 1))) > n - 1:
        st.session_state["test_index"] = n - 1
    st.session_state.setdefault("test_index", min(TUTORIAL_INDEX, n - 1))
    c = st.columns([3, 2, 2, 4], vertical_alignment="bottom")
    c[0].number_input(f"Test image index (0 to {n - 1})", min_value=0, max_value=n - 1, step=1, key="test_index")
    c[1].button("Previous", key="test_prev", on_click=step_test_index, args=(-1, n, wrong), icon=":material/arrow_back:", width="stretch")
    c[2].button("Next", key="test_next", on_click=step_test_index, args=(1, n, wrong), icon=":material/arrow_forward:", width="stretch")
    c[3].toggle(f"Only misclassified ({len(wrong)})", key="test_only_wrong", on_change=jump_to_misclassified, args=(wrong,))
    return int(st.session_state["test_index"])


def show_test_image(index: int, x: np.ndarray, label: int, probs: np.ndarray, model: ModelChoice) -> None:
    predicted = int(probs.argmax())
    verdict = '<span class="right">correct</span>' if predicted == label else '<span class="wrong">misclassified</span>'
    left, right = st.columns([2, 3], gap="large")
    left.image(pixels(x.reshape(28, 28), 280), caption=f"test image {index}", width=280)
    with right:
        st.markdown(
            f'<div class="test-result" data-index="{index}" data-true="{label}" data-predicted="{predicted}">'
            f"Test image <b>{index}</b><br>True label: <b>{label}</b><br>Predicted: <b>{predicted}</b> {verdict}</div>",
            unsafe_allow_html=True,
        )
        st.caption(f"Model: {model.label}")
        probability_chart(probs, height=220)


def test_images_section() -> None:
    model, data = require_model(), require_data("test")
    if model is None or data is None:
        return
    x_test, y_test = data.split.x_test, data.split.y_test
    probs = test_probabilities(model.cache_id, model.model, x_test)
    wrong = np.flatnonzero(probs.argmax(1) != y_test)
    st.markdown(
        f"The seed split's **{len(y_test)}** test images. **{model.name}** gets "
        f"**{len(y_test) - len(wrong)}** right ({100 * (1 - len(wrong) / len(y_test)):.2f}%) and **{len(wrong)}** wrong."
    )
    index = test_index_controls(len(y_test), wrong)
    show_test_image(index, x_test[index], int(y_test[index]), probs[index], model)


# ---------------------------------------------------------------------------------------------------
# Train: a worker thread per training, progress polled by a fragment
#
# Why a thread and not the script run itself: a click on Stop (or on anything else of the session)
# reruns the script, which would kill an in-script training half way whenever its owner touched a
# widget, and would freeze the owner's page until it ended. In a thread the training survives
# reruns, the owner can draw while it runs, and Stop is a flag the training loop polls between
# batches (`should_stop`): a stopped run's model is dropped and the active model stays as it was.


@dataclass
class TrainingJob:
    """One training, shared by the session's script runs (which read it) and its worker (which writes it).

    The worker only assigns attributes and appends to `points`, both atomic under the GIL.
    """

    model_config: ModelConfig
    train_config: mtrain.TrainConfig
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    status: str = "queued"  # queued, evaluating, training, finished, stopped, failed
    fraction: float = 0.0
    points: list[dict] = field(default_factory=list)
    before: float | None = None
    after: mtrain.Evaluation | None = None
    model: nn.Module | None = None
    train_seconds: float = 0.0
    error: str | None = None
    collected: bool = False  # the page has taken note of the end
    stop: threading.Event = field(default_factory=threading.Event)
    last_seen: float = field(default_factory=time.monotonic)

    @property
    def running(self) -> bool:
        return self.status in ("queued", "evaluating", "training")

    def should_stop(self) -> bool:
        # A closed browser tab stops polling; its training is then stopped, not run for nobody.
        return self.stop.is_set() or time.monotonic() - self.last_seen > ABANDON_S

    def report(self, p: mtrain.Progress) -> None:
        self.points.append({"epoch": p.epoch - 1 + p.batch / p.batches, "loss": p.loss, "accuracy": p.accuracy})
        self.fraction = p.fraction


@st.cache_resource
def training_slot() -> threading.Lock:
    # One training at a time on the server: two would share the same cores and both crawl, and
    # torch's global seed (set by new_model) keeps a run reproducible only if nothing interleaves.
    return threading.Lock()


TORCH_THREADS = torch.get_num_threads()  # torch's default, as the command line trains with


def train_threads() -> int:
    # torch's default unless set: the thread count changes the order of float sums, and with the
    # same count a training from the page gives exactly the weights `python -m mnist_core train`
    # gives (96.15% for the tutorial, seed 0, on 2 threads; 95.59% on 1). Sleeping OpenMP threads
    # (OMP_WAIT_POLICY above) keep it from stalling when other sessions use a core.
    return max(1, int(os.environ.get("MNIST_APP_TRAIN_THREADS") or TORCH_THREADS))


def fit(job: TrainingJob, split: mdata.Split) -> None:
    """The training itself, in the worker: accuracy before, the loop, accuracy after."""
    torch.set_num_threads(train_threads())
    device = default_device()
    job.status = "evaluating"
    model = mtrain.new_model(job.model_config, job.train_config.seed, device).eval()
    job.before = mtrain.evaluate(model, split.x_test, split.y_test, device=device).accuracy
    job.status = "training"
    batches = math.ceil(len(split.x_train) / job.train_config.batch_size)
    history = mtrain.train(
        model, split.x_train, split.y_train, job.train_config, device=device,
        on_progress=job.report, should_stop=job.should_stop, report_every=max(1, batches // 25),
    )  # fmt: skip
    if history.stopped:
        job.status = "stopped"
        return
    job.after = mtrain.evaluate(model, split.x_test, split.y_test, device=device)
    job.model, job.train_seconds = model.cpu(), history.train_seconds
    job.status = "finished"


def run_job(job: TrainingJob, split: mdata.Split, slot: threading.Lock) -> None:
    """The worker thread: wait for the training slot (Stop still works while waiting), then fit."""
    try:
        while not slot.acquire(timeout=0.2):
            if job.should_stop():
                job.status = "stopped"
                return
        try:
            fit(job, split)
        finally:
            slot.release()
    except Exception as e:  # in a thread an exception would reach only the log: show it on the page
        logger.exception("training %s failed", job.id)
        job.error, job.status = one_line(e), "failed"


def parse_options(epochs, lr, batch_size, hidden_text: str, seed) -> tuple[ModelConfig, mtrain.TrainConfig]:
    """The Train tab's inputs as configs; ValueError with a one-line reason for anything out of range."""
    try:
        hidden = tuple(int(h) for h in hidden_text.replace(",", " ").split())
    except ValueError:
        raise ValueError(f"hidden sizes must be whole numbers separated by commas, got {hidden_text!r}") from None
    if not 1 <= len(hidden) <= LIMITS["layers"] or max(hidden) > LIMITS["hidden"]:
        raise ValueError(f"give 1 to {LIMITS['layers']} hidden layer sizes of at most {LIMITS['hidden']}, e.g. 100, 100")
    if int(epochs) > LIMITS["epochs"] or int(batch_size) > LIMITS["batch_size"]:
        raise ValueError(f"at most {LIMITS['epochs']} epochs and a batch size of at most {LIMITS['batch_size']}")
    if not 0 <= int(seed) < 2**32:
        raise ValueError(f"the seed must be a whole number from 0 to {2**32 - 1}")
    model_config = ModelConfig(hidden=hidden)  # validates: sizes >= 1
    train_config = mtrain.TrainConfig(epochs=int(epochs), lr=float(lr), batch_size=int(batch_size), seed=int(seed))
    return model_config, train_config


def training_options(disabled: bool) -> tuple:
    c = st.columns(5)
    return (
        c[0].number_input("Epochs", step=1, key="train_epochs", disabled=disabled),
        c[1].number_input("Learning rate", step=0.001, format="%.4f", key="train_lr", disabled=disabled),
        c[2].number_input("Batch size", step=16, key="train_batch", disabled=disabled),
        c[3].text_input("Hidden layer sizes", key="train_hidden", disabled=disabled, help="e.g. 100, 100"),
        c[4].number_input("Seed", step=1, key="train_seed", disabled=disabled),
    )


def start_training(options: tuple) -> None:
    try:
        model_config, train_config = parse_options(*options)
    except ValueError as e:
        st.error(f"Cannot train: {one_line(e)}")
        return
    data = require_data("train")
    if data is None:
        return
    job = TrainingJob(model_config, train_config)
    st.session_state["train_job"] = job
    threading.Thread(target=run_job, args=(job, data.split, training_slot()), name=f"train-{job.id}", daemon=True).start()
    st.rerun()  # redraw everything with the job running: inputs locked, Stop enabled, progress polling


def status_text(job: TrainingJob) -> str:
    if job.status == "training" and job.points:
        p = job.points[-1]
        return f"Training: epoch {math.ceil(p['epoch'])} of {job.train_config.epochs}, {100 * job.fraction:.0f}%"
    return {
        "queued": "Waiting: another session is training (one training at a time on this server)",
        "evaluating": "Measuring the untrained network's test accuracy ...",
        "training": "Training ...",
        "finished": f"Finished in {job.train_seconds:.1f} s: the trained model became your active model",
        "stopped": "Stopped: nothing was kept, your active model is unchanged",
        "failed": f"Training failed: {job.error}",
    }[job.status]


def show_curves(points: list[dict]) -> None:
    if not points:
        return
    frame = pd.DataFrame(points[:: max(1, len(points) // 150)])  # a few hundred points at most
    left, right = st.columns(2)
    with left:
        st.markdown("**Training loss**")
        line_chart(frame, "loss")
    with right:
        st.markdown("**Training accuracy**")
        line_chart(frame, "accuracy")


def show_job(job: TrainingJob) -> None:
    job.last_seen = time.monotonic()
    if not job.running and not job.collected:
        st.rerun()  # the worker is done: a full rerun takes note of it and unlocks the inputs
    st.progress(job.fraction, text=status_text(job))
    before, after = st.columns(2)
    before.metric("Test accuracy before training", "…" if job.before is None else f"{100 * job.before:.2f}%")
    after_value = "…" if job.after is None else f"{100 * job.after.accuracy:.2f}%"
    after.metric("Test accuracy after training", after_value, help=None if job.after is None else f"{job.after.correct} of {job.after.total}")
    show_curves(list(job.points))


def training_progress(job: TrainingJob) -> None:
    """Progress bar, accuracies and curves; redrawn every POLL_S seconds while the training runs."""

    @st.fragment(run_every=POLL_S if job.running else None)
    def progress() -> None:
        show_job(job)

    progress()


def collect_training() -> None:
    """At the top of every run: a finished training becomes the session's model and its active one."""
    job = st.session_state.get("train_job")
    if job is None:
        return
    job.last_seen = time.monotonic()
    if job.running or job.collected:
        return
    job.collected = True
    if job.status == "finished":
        after = job.after
        metrics = {"accuracy": after.accuracy, "correct": after.correct, "total": after.total,
                   "untrained_accuracy": job.before, "train_seconds": round(job.train_seconds, 2),
                   "per_class_correct": list(after.per_class_correct), "per_class_total": list(after.per_class_total)}  # fmt: skip
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        trained = ModelChoice(TRAINED, job.model, job.model_config, job.train_config, metrics, created, f"trained:{job.id}")
        st.session_state["trained"], st.session_state["active"] = trained, TRAINED


@st.cache_resource
def save_slot() -> threading.Lock:
    # Every session runs in this one process: under the lock, "the name is free" and the write
    # cannot interleave with another session's save of the same name.
    return threading.Lock()


def save_trained(trained: ModelChoice, name: str) -> Path:
    """Save the session's model as checkpoints/NAME.pt (atomic, never over an existing file)."""
    path = ckpt.path_for(name.strip(), checkpoint_folder())  # ValueError for '/', '..' and the like
    with save_slot():
        if path.exists():
            raise ValueError(f"a checkpoint named {path.stem!r} already exists: choose another name")
        ckpt.save_checkpoint(
            path, trained.model, model_config=trained.model_config, train_config=trained.train_config,
            metrics=trained.metrics, command="streamlit run app.py (trained in the browser)",
        )  # fmt: skip
    return path


def save_form() -> None:
    trained = st.session_state.get("trained")
    if trained is None:
        return
    st.markdown("#### Save your model")
    st.caption("Your trained model is yours only until you save it; saved, it is in everyone's Model list.")
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.text_input("Checkpoint name", key="save_name", placeholder="e.g. alice-3-epochs")
    if right.button("Save", key="save_button", icon=":material/save:", width="stretch"):
        try:
            path = save_trained(trained, st.session_state["save_name"])
        except (ValueError, OSError) as e:
            st.error(f"Not saved: {one_line(e)}")
            return
        del st.session_state["trained"]
        st.session_state["active"] = path.stem
        st.session_state["flash"] = f"Saved as {path.name}: it is now in the Model list and your active model."
        st.rerun()


def train_section() -> None:
    st.markdown("Train the tutorial's network from scratch. The defaults are the tutorial's: "
                "784-100-100-10, Adam with learning rate 0.01, batch size 64, 3 epochs.")  # fmt: skip
    job = st.session_state.get("train_job")
    running = job is not None and job.running
    options = training_options(disabled=running)
    left, right, _ = st.columns([1, 1, 3])
    if left.button("Train", key="train_button", type="primary", disabled=running, icon=":material/play_arrow:", width="stretch"):
        start_training(options)
    right.button("Stop", key="stop_button", disabled=not running, on_click=job.stop.set if running else None, icon=":material/stop:", width="stretch")
    if job is not None:
        training_progress(job)
    save_form()


def training_banner() -> None:
    """On the other tabs, a running training shows as one line (and still ends in a full rerun)."""
    job = st.session_state.get("train_job")
    if job is None or not job.running or st.session_state.get("section") == "Train":
        return

    @st.fragment(run_every=1.0)
    def banner() -> None:
        job.last_seen = time.monotonic()
        if not job.running:
            st.rerun()
        st.progress(job.fraction, text=status_text(job) + " (see the Train tab)")

    banner()


# ---------------------------------------------------------------------------------------------------
# Data and Model


def data_section() -> None:
    data = require_data("data")
    if data is None:
        return
    mnist, split = data.mnist, data.split
    st.markdown(
        f"**Source:** {mnist.source}  \n**Rows:** {len(mnist.labels)} images of 28x28 = 784 pixels, "
        f"split by `train_test_split(test_size=1/7, random_state=0)` into **{len(split.y_train)}** training "
        f"and **{len(split.y_test)}** test images."
    )
    st.session_state["data_index"] = min(int(st.session_state.get("data_index", 0)), len(mnist.labels) - 1)
    left, right = st.columns([2, 3], gap="large")
    index = left.number_input("Row of the data set (X[i], y[i])", min_value=0, max_value=len(mnist.labels) - 1, step=1, key="data_index")
    left.image(pixels(mnist.images[index].reshape(28, 28) / 255.0, 280), width=280)
    left.markdown(f'<div class="test-result" data-row="{index}">Label: <b>{mnist.labels[index]}</b></div>', unsafe_allow_html=True)
    counts = pd.DataFrame({"images": np.bincount(mnist.labels, minlength=10)}, index=[str(d) for d in range(10)])
    right.markdown("**Images per digit**")
    right.bar_chart(counts, height=320, x_label="digit")


def model_table(choices: dict[str, ModelChoice], active: str | None) -> pd.DataFrame:
    rows = [
        {
            "active": name == active,
            "name": name,
            "architecture": c.architecture,
            "test accuracy": None if c.accuracy is None else 100 * c.accuracy,
            "training": f"{plural(c.train_config.epochs, 'epoch')}, lr {c.train_config.lr:g}, batch {c.train_config.batch_size}",
            "created": c.created[:16].replace("T", " "),
        }
        for name, c in choices.items()
    ]
    return pd.DataFrame(rows)


def select_model() -> None:
    st.session_state["active"] = st.session_state["model_select"]


def model_section() -> None:
    model = active_model()  # settles the default before the list is drawn
    choices, errors = model_choices(), list_models()[1]
    active = None if model is None else model.name
    st.markdown(f"Checkpoints in `{checkpoint_folder()}`. Your choice is yours only: others keep theirs.")
    st.dataframe(
        model_table(choices, active), hide_index=True, width="stretch",
        column_config={"test accuracy": st.column_config.NumberColumn(format="%.2f%%")},
    )  # fmt: skip
    for error in errors:
        st.warning(f"Not usable: {error}")
    if not choices:
        st.error("No usable checkpoint: train a model in the Train tab.")
        return
    st.session_state["model_select"] = active  # follow changes made elsewhere (a training, a save)
    names = list(choices)
    st.selectbox("Active model", names, key="model_select", on_change=select_model, format_func=lambda n: choices[n].label)


# ---------------------------------------------------------------------------------------------------
# The page


def keep_widget_state() -> None:
    # Lazy tabs do not render the closed tabs' widgets, and Streamlit forgets the state of widgets
    # not rendered in a run; writing the values back through session_state keeps them.
    for key, default in DEFAULTS.items():
        st.session_state[key] = st.session_state.get(key, default)
    if "test_index" in st.session_state:
        st.session_state["test_index"] = st.session_state["test_index"]


def header() -> None:
    st.title("Multilayer perceptron · MNIST")
    model = active_model()
    st.markdown(f"**Active model:** {model.label if model else 'none'}")
    flash = st.session_state.pop("flash", None)
    if flash:
        st.success(flash)


def guarded(name: str, render) -> None:
    """Run one section; an unexpected error becomes one line on the page, its traceback goes to the log."""
    try:
        render()
    except Exception as e:  # Streamlit's rerun and stop signals are BaseExceptions and pass through
        logger.exception("section %s failed", name)
        st.error(f"{name}: something went wrong: {one_line(e)}")


def main() -> None:
    st.set_page_config(page_title="MNIST · multilayer perceptron", page_icon="✏️", layout="wide")
    st.html(CSS)
    keep_widget_state()
    collect_training()
    guarded("Header", header)
    training_banner()
    # on_change="rerun" makes the tabs lazy: only the open tab runs, so the data loads only when a
    # tab needs it, and a stroke on the canvas reruns only the Draw tab.
    tabs = st.tabs(SECTIONS, key="section", on_change="rerun")
    for tab, name, render in zip(tabs, SECTIONS, (draw_section, test_images_section, train_section, data_section, model_section)):
        if tab.open:
            with tab:
                guarded(name, render)


main()
