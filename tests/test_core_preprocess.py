"""mnist_core.preprocess: a drawing or photo of one digit -> the 28x28 input MNIST digits look like.

The same digit shifted, scaled or recoloured must give nearly the same 28x28 input; an MNIST digit
must pass nearly unchanged; empty canvases, dots and scribbles are refused with a reason."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw
from scipy.ndimage import distance_transform_edt

from helpers_core import draw_digit, real_mnist, tutorial_model
from mnist_core import preprocess
from mnist_core.augment import skeletonize
from mnist_core.checkpoints import default_checkpoint_path, load_checkpoint
from mnist_core.model import predict_proba
from mnist_core.preprocess import FIELD, MAX_STROKE, Problem, prepare, stroke_width, to_ink


def centre_of_mass(digit: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(digit.shape)
    mass = digit.sum()
    return float((ys * digit).sum() / mass), float((xs * digit).sum() / mass)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of two 28x28 inputs, the best over shifts of at most one pixel.

    Placing the centre of mass on the pixel grid rounds (as MNIST did), so two versions of one
    drawing may land one pixel apart; anything else must match.
    """
    return max(
        float(np.corrcoef(np.roll(a, (dy, dx), axis=(0, 1)).ravel(), b.ravel())[0, 1])
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    )


def rgba(ink: np.ndarray, rgb: int) -> np.ndarray:
    """A canvas export over no background: colour `rgb` everywhere, alpha = ink."""
    out = np.zeros((*ink.shape, 4), np.uint8)
    out[..., :3] = rgb
    out[..., 3] = ink
    return out


def check_model_input(prepared) -> None:
    digit = prepared.digit
    assert prepared.problem is None and not prepared.empty
    assert digit.shape == (FIELD, FIELD) and digit.dtype == np.float32
    assert digit.min() >= 0.0 and digit.max() == pytest.approx(1.0)
    cy, cx = centre_of_mass(digit)
    assert abs(cy - 14) <= 0.5 + 1e-6 and abs(cx - 14) <= 0.5 + 1e-6, (cy, cx)
    rows, cols = np.flatnonzero(digit.max(1) > 0.2), np.flatnonzero(digit.max(0) > 0.2)
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 in range(18, 23)  # fitted to a 20x20 box
    assert prepared.flat.shape == (784,)


def resized(image: np.ndarray, side: int, how) -> np.ndarray:
    return np.asarray(Image.fromarray(image).resize((side, side), how))


BASE = draw_digit()  # a "7", dark on light, 280x280


def variants() -> dict[str, np.ndarray]:
    return {
        "shifted to a corner": draw_digit(box=(0.02, 0.48, 0.5)),
        "drawn small": draw_digit(box=(0.4, 0.4, 0.2)),
        "filling the canvas": draw_digit(box=(0.02, 0.02, 0.96)),
        "upsampled to 300x300": resized(draw_digit(100), 300, Image.Resampling.BICUBIC),
        "downsampled to 70x70": resized(BASE, 70, Image.Resampling.LANCZOS),
        "on a wide canvas": draw_digit(400)[50:300, :],
        "light on dark": 255 - BASE,
        "black on transparent": rgba(255 - BASE, 0),
        "white on transparent": rgba(255 - BASE, 255),
        "grey on grey": (BASE / 255 * 170 + 30).astype(np.uint8),
        "16-bit": BASE.astype(np.uint16) * 257,
        "float in [0, 1]": BASE.astype(np.float32) / 255,
        "yellow on blue": np.stack([255 - BASE, 255 - BASE, BASE // 4 + 60], axis=-1),
        "opaque RGBA": np.dstack([BASE, BASE, BASE, np.full_like(BASE, 255)]),
        "(H, W, 1)": BASE[..., None],
    }


def test_reference_digit_is_a_model_input():
    check_model_input(prepare(BASE))


@pytest.mark.parametrize("name", list(variants()))
def test_variants_give_nearly_the_same_input(name):
    reference = prepare(BASE).digit
    prepared = prepare(variants()[name])
    check_model_input(prepared)
    assert similarity(prepared.digit, reference) > 0.9, name


@pytest.mark.parametrize("name", ["light on dark", "black on transparent", "16-bit", "float in [0, 1]"])
def test_exact_recolourings_give_the_same_input(name):
    np.testing.assert_allclose(prepare(variants()[name]).digit, prepare(BASE).digit, atol=1e-4)


def test_an_mnist_form_digit_passes_nearly_unchanged():
    once = prepare(BASE).digit
    twice = prepare((once * 255).round().astype(np.uint8))  # a 28x28 light-on-dark digit, 20x20 box, centred
    check_model_input(twice)
    assert np.abs(twice.digit - once).mean() < 0.02
    assert similarity(twice.digit, once) > 0.98


def test_stages_are_kept():
    prepared = prepare(BASE)
    assert prepared.ink.shape == BASE.shape and 0 <= prepared.ink.min() and prepared.ink.max() <= 1
    assert prepared.ink[0, 0] == 0 and prepared.ink.max() == pytest.approx(1.0)  # paper is no ink
    assert 0 < prepared.crop.shape[0] <= BASE.shape[0] and max(prepared.crop.shape) > 100


# ------------------------------------------------------------------------------------ nothing to read


@pytest.mark.parametrize(
    "canvas",
    [
        np.full((280, 280), 255, np.uint8),  # white
        np.zeros((280, 280), np.uint8),  # black
        np.full((280, 280), 128, np.uint8),  # grey
        np.zeros((280, 280, 4), np.uint8),  # transparent
        np.full((280, 280, 3), 240, np.uint8),
    ],
    ids=["white", "black", "grey", "transparent", "rgb"],
)
def test_empty_canvas(canvas):
    prepared = prepare(canvas)
    assert prepared.empty and prepared.problem is Problem.EMPTY
    assert prepared.digit.shape == (28, 28) and not prepared.digit.any()


def test_faint_noise_is_empty():
    canvas = np.full((280, 280), 255, np.uint8) - np.random.default_rng(0).integers(0, 20, (280, 280)).astype(np.uint8)
    assert prepare(canvas).empty


def dot(diameter: int, canvas: int = 280, *, rgba_canvas: bool = False) -> np.ndarray:
    im = Image.new("L", (canvas, canvas), 255)
    c = canvas * 0.6
    ImageDraw.Draw(im).ellipse((c, c, c + diameter - 1, c + diameter - 1), fill=0)
    a = np.asarray(im)
    return rgba(255 - a, 0) if rgba_canvas else a


@pytest.mark.parametrize("diameter", [1, 2, 4, 12, 20, 28, 40])
def test_a_single_dot_is_refused(diameter):
    prepared = prepare(dot(diameter))
    assert prepared.problem in (Problem.EMPTY, Problem.TOO_SMALL)  # the smallest have too few pixels to count
    assert prepared.problem is Problem.TOO_SMALL or diameter <= 2
    assert not prepared.digit.any()


def test_a_single_dot_on_a_transparent_canvas_is_refused():
    assert prepare(dot(16, rgba_canvas=True)).empty


def scribble(canvas: int = 280, strokes: int = 60, width: int = 22, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    im = Image.new("L", (canvas, canvas), 255)
    draw = ImageDraw.Draw(im)
    points = rng.uniform(0.05 * canvas, 0.95 * canvas, (strokes, 2))
    draw.line([tuple(p) for p in points], fill=0, width=width, joint="curve")
    return np.asarray(im)


def test_a_scribble_over_the_canvas_is_refused():
    canvas = scribble()
    assert (canvas < 128).mean() > 0.6  # it does cover most of the canvas
    prepared = prepare(canvas)
    assert prepared.empty and prepared.problem is Problem.SCRIBBLE
    assert not prepared.digit.any()


def app_canvas(draw_on) -> np.ndarray:
    """The app's canvas as it exports it: 336x336 RGBA, opaque black, white strokes 24 px wide."""
    im = Image.new("L", (336, 336), 0)
    draw_on(ImageDraw.Draw(im))
    a = np.asarray(im)
    return np.dstack([a, a, a, np.full_like(a, 255)])


@pytest.mark.parametrize("seed", [0, 2])
def test_a_scribble_over_the_whole_app_canvas_is_refused(seed):
    # The app knows its canvas draws light ink on dark; with strokes over most of the border, the
    # border alone could not tell the background from the ink.
    points = np.random.default_rng(seed).uniform(-34, 370, (80, 2))
    canvas = app_canvas(lambda d: d.line([tuple(p) for p in points], fill=255, width=24, joint="curve"))
    assert (canvas[..., 0] > 128).mean() > 0.85  # nearly all of it is ink
    assert prepare(canvas, polarity="light").problem is Problem.SCRIBBLE


def _dragged_dot(d, drag: int = 12) -> None:
    d.line([(160, 160), (160 + drag, 160)], fill=255, width=24)
    for x in (160, 160 + drag):
        d.ellipse((x - 12, 148, x + 12, 172), fill=255)


def test_a_clicked_dot_on_the_app_canvas_is_refused():
    assert prepare(app_canvas(lambda d: _dragged_dot(d, drag=0))).problem is Problem.TOO_SMALL


def test_a_smudged_dot_on_the_app_canvas_is_refused():
    assert prepare(app_canvas(_dragged_dot)).problem is Problem.TOO_SMALL


def test_a_filled_transparent_canvas_is_refused():
    assert prepare(rgba(np.full((280, 280), 255, np.uint8), 0)).empty


@pytest.mark.parametrize(
    "line",
    [((20, 140), (260, 140)), ((140, 20), (140, 260)), ((20, 20), (260, 260)), ((100, 100), (180, 110))],
    ids=["horizontal", "vertical", "diagonal", "short"],
)
@pytest.mark.parametrize("width", [1, 3, 18])
def test_a_straight_line_is_handled(line, width):
    im = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(im).line(line, fill=0, width=width)
    prepared = prepare(np.asarray(im))
    if prepared.empty:
        assert prepared.problem and not prepared.digit.any()
    else:
        digit = prepared.digit
        assert digit.shape == (28, 28) and np.isfinite(digit).all()
        assert digit.max() == pytest.approx(1.0) and digit.min() >= 0
        model = torch.nn.Sequential(torch.nn.Linear(784, 10)).eval()
        probs = predict_proba(model, torch.from_numpy(prepared.flat[None]))
        assert torch.isfinite(probs).all()


@pytest.mark.parametrize("shape", [(5,), (4, 4, 2), (0, 5), (3, 0), (2, 2, 2, 2)])
def test_to_ink_refuses_odd_shapes(shape):
    with pytest.raises(ValueError, match="shape"):
        to_ink(np.zeros(shape, np.uint8))


# ---------------------------------------------------------------------------------------- real data


@pytest.mark.realdata
def test_real_mnist_digits_pass_nearly_unchanged():
    mnist, _ = real_mnist()
    digits = mnist.images[60_000:61_000].reshape(-1, 28, 28)
    similar, differences = [], []
    for image in digits:
        prepared = prepare(image)
        assert not prepared.empty
        original = image.astype(np.float32) / 255
        similar.append(np.corrcoef(prepared.digit.ravel(), original.ravel())[0, 1])
        differences.append(np.abs(prepared.digit - original).mean())
    assert np.mean(np.array(similar) > 0.95) >= 0.95
    assert np.median(differences) < 0.01


@pytest.mark.realdata
@pytest.mark.slow
def test_real_digits_redrawn_big_are_still_recognised():
    """MNIST test digits upsampled to 280x280 and inverted (dark on light): the tutorial model reads them."""
    model = tutorial_model()[0]
    _, split = real_mnist()
    x, y = split.x_test[:300], split.y_test[:300]
    big = [255 - resized((row.reshape(28, 28) * 255).astype(np.uint8), 280, Image.Resampling.BICUBIC) for row in x]
    prepared = np.stack([prepare(b).flat for b in big])
    direct = predict_proba(model, torch.from_numpy(x)).argmax(1).numpy()
    redrawn = predict_proba(model, torch.from_numpy(prepared)).argmax(1).numpy()
    assert (direct == y).mean() > 0.9
    assert (redrawn == y).mean() >= (direct == y).mean() - 0.05


# ------------------------------------------------------------------------------------ marker strokes


def bar(width: int) -> np.ndarray:
    """A vertical bar `width` pixels wide and a stroke's length (10 widths) long."""
    ink = np.zeros((12 * width, 3 * width), bool)
    ink[width : 11 * width, width : 2 * width] = True
    return ink


@pytest.mark.parametrize("width", [3, 8, 15, 24, 36, 50])
def test_stroke_width_measures_a_bar(width):
    measured, _ = stroke_width(bar(width))
    assert abs(measured - width) <= max(1.0, 0.05 * width), measured


def seven(pen: int, height: int = 240) -> np.ndarray:
    """A "7" on the app's canvas (white on black), `height` px tall, with a round pen `pen` px wide."""
    top, left = 40, 60
    corner, foot = (left + height * 0.7, top), (left + height * 0.25, top + height)

    def draw(d):
        d.line([(left, top), corner, foot], fill=255, width=pen, joint="curve")
        for x, y in ((left, top), foot):
            d.ellipse((x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2), fill=255)

    return app_canvas(draw)


def width_in_box(digit: np.ndarray) -> float:
    """The stroke width of a 28x28 input in pixels of the 20x20 box, measured 4x upsampled as MNIST's was."""
    big = np.asarray(Image.fromarray(digit, mode="F").resize((112, 112), Image.Resampling.BILINEAR)) >= 0.5
    return stroke_width(big)[0] / 4


def test_a_marker_digit_is_thinned_to_mnists_widest_stroke(monkeypatch):
    canvas = seven(pen=30, height=80)  # a small digit: the pen is 30 px of 110, 5.5 px of the 20-px box
    thick = prepare(canvas, polarity="light")
    check_model_input(thick)
    assert thick.thinned
    assert MAX_STROKE - 1 <= width_in_box(thick.digit) <= MAX_STROKE + 0.5
    monkeypatch.setattr(preprocess, "thin_strokes", lambda crop: (crop, False))
    assert width_in_box(prepare(canvas, polarity="light").digit) > MAX_STROKE + 1


def test_a_digit_in_mnists_stroke_is_left_as_drawn():
    usual = prepare(seven(pen=24, height=220), polarity="light")  # the pen is 24 px of 244: 2 px of 20
    check_model_input(usual)
    assert not usual.thinned
    assert width_in_box(usual.digit) == pytest.approx(24 * 20 / 244, abs=1.0)


def test_thinning_keeps_a_thin_tail_beside_a_filled_loop():
    """A "9" whose loop the pen filled: the blob must not make the tail look wide enough to erase it."""

    def nine(d):
        d.ellipse((120, 40, 220, 140), fill=255)  # the loop, filled: a blob 100 px across
        d.line([(210, 90), (200, 300)], fill=255, width=30)

    prepared = prepare(app_canvas(nine), polarity="light")
    check_model_input(prepared)
    rows = np.flatnonzero(prepared.digit.max(1) > 0.2)
    assert rows[-1] - rows[0] + 1 >= 18  # the tail is still there: the digit is still 20 px tall
    assert prepared.digit[rows[-1] - 3 : rows[-1] + 1].max() > 0.5


def marker_drawn(digits: np.ndarray, pen: float) -> list[np.ndarray]:
    """MNIST digits redrawn along their skeletons (at 4x) with a round pen `pen` pixels wide, 112 px tall."""
    big = torch.nn.functional.interpolate(torch.from_numpy(digits).view(-1, 1, 28, 28), scale_factor=4, mode="bilinear")
    skeletons = skeletonize(big >= 0.5, iterations=20)[:, 0].bool().numpy()
    return [np.clip(pen / 2 + 0.5 - distance_transform_edt(~s), 0, 1) for s in skeletons]


@pytest.mark.realdata
@pytest.mark.slow
def test_real_digits_drawn_with_a_marker_are_read_better_thinned(monkeypatch):
    """The shipped default reads MNIST test digits redrawn with a marker (5-6 px of the 20-px box)
    better with the strokes thinned than as drawn."""
    _, split = real_mnist()
    x, y = split.x_test[:500], split.y_test[:500]
    model = load_checkpoint(default_checkpoint_path()).model
    drawn = marker_drawn(x, pen=24)

    def accuracy() -> float:
        inputs = np.stack([prepare(d).flat for d in drawn])
        return float((predict_proba(model, torch.from_numpy(inputs)).argmax(1).numpy() == y).mean())

    thinned = accuracy()
    monkeypatch.setattr(preprocess, "thin_strokes", lambda crop: (crop, False))
    as_drawn = accuracy()
    assert thinned >= as_drawn + 0.03, (thinned, as_drawn)
