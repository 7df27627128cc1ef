"""mnist_app.components.maps: the inside view's coloured pictures show what they say. One diverging
scale symmetric around 0 (white at 0, the largest size at either end), tiles and units in their
places, a layer's grid bright where its units fire."""

from __future__ import annotations

import numpy as np

from mnist_app.components import maps

RED, BLUE = maps.DIVERGING(1.0, bytes=True)[:3], maps.DIVERGING(0.0, bytes=True)[:3]  # the scale's two ends


def pixel(picture: np.ndarray, y: int, x: int, scale: int) -> tuple[int, ...]:
    """The colour of input pixel (y, x) in a picture enlarged `scale` times."""
    return tuple(int(v) for v in picture[y * scale + scale // 2, x * scale + scale // 2])


def test_the_signed_scale_is_symmetric_around_zero():
    values = np.array([[0.2, -0.7, 0.0, 0.7]])
    colours = maps.signed(values)
    assert tuple(colours[0, 1]) == BLUE and tuple(colours[0, 3]) == RED  # -0.7 and +0.7: the two ends
    white = maps.DIVERGING(0.5, bytes=True)[:3]
    assert tuple(colours[0, 2]) == white and tuple(colours[0, 0]) not in (white, RED)


def test_a_saliency_map_sits_beside_its_digit_in_grey():
    x = np.zeros((28, 28))
    x[3, 4] = 1.0
    saliency = np.zeros((28, 28))
    saliency[10, 11], saliency[12, 13] = -0.5, 0.25
    picture = maps.saliency_picture(x, saliency)
    assert picture.shape == (28 * maps.SCALE, (56 + maps.GAP) * maps.SCALE, 3)
    assert pixel(picture, 3, 4, maps.SCALE) == (255, 255, 255) and pixel(picture, 0, 0, maps.SCALE) == (0, 0, 0)
    right = 28 + maps.GAP  # the saliency's first column
    assert pixel(picture, 10, right + 11, maps.SCALE) == BLUE  # the largest size is the end of the scale
    assert pixel(picture, 12, right + 13, maps.SCALE) not in (BLUE, RED)


def test_templates_share_one_scale_and_a_unit_not_shown_is_not_in_it():
    templates = np.zeros((4, 28, 28), np.float32)
    templates[1, 3, 3], templates[2, 5, 5], templates[3, 0, 0] = 0.5, -2.0, 9.0
    picture = maps.templates_mosaic(templates, [2, 1], cols=2, numbers=False, scale=1)
    assert picture.shape == (28, 28 * 2 + maps.GAP, 3)
    assert pixel(picture, 5, 5, 1) == BLUE  # unit 2's -2.0: the scale's end, unit 3's 9.0 not counted
    assert pixel(picture, 3, 28 + maps.GAP + 3, 1) not in (BLUE, RED)  # unit 1's 0.5: a quarter of the way


def test_a_page_of_templates_is_numbered_and_its_last_row_filled_out():
    rng = np.random.default_rng(0)
    templates = rng.normal(size=(12, 28, 28)).astype(np.float32)
    numbered = maps.templates_mosaic(templates, np.arange(12), cols=5)
    plain = maps.templates_mosaic(templates, np.arange(12), cols=5, numbers=False)
    step = (28 + maps.GAP) * 4
    assert numbered.shape == plain.shape == (3 * step - maps.GAP * 4, 5 * step - maps.GAP * 4, 3)
    corner = (slice(0, 16), slice(0, 16))
    assert (numbered[corner] != plain[corner]).any()  # the unit's number, in its tile's corner
    assert (plain[2 * step :, 2 * step :] == 255).all()  # three tiles in the last row, then white


def test_a_layers_grid_is_a_square_of_units_bright_where_they_fire():
    values = np.zeros(100)
    values[0], values[57] = 1.0, 3.0
    picture = maps.activation_grid(values)
    cols = maps.grid_columns(100)
    scale = maps.GRID_WIDTH // cols
    assert cols == 10 and picture.shape == (10 * scale, 10 * scale, 3)
    brightest = pixel(picture, 5, 7, scale)  # unit 57: row 5, column 7
    assert brightest == tuple(int(v) for v in maps.MAGMA(1.0, bytes=True)[:3])
    assert sum(pixel(picture, 0, 0, scale)) < sum(brightest)  # unit 0 fires a third as strongly
    assert pixel(picture, 9, 9, scale) == tuple(int(v) for v in maps.MAGMA(0.0, bytes=True)[:3])  # off: black
    assert maps.grid_columns(1024) == 32
