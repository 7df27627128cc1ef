"""Fields that show what the page shows: an index past either end lands on the nearest image and the
field says which (Streamlit's own bounds kept a typed -1 in the field while image 9999 was shown);
save errors under the name field, an empty name with its own message."""

from __future__ import annotations

import pytest

from helpers_app import LANGS, T, markdown_text, open_section, shown_test_image, train_tiny
from mnist_app.state import Key


@pytest.mark.parametrize("typed", [-1, -70_000, 10**6])
def test_a_test_index_past_either_end_shows_the_nearest_image_in_the_field_too(app_test, tiny_data, typed):
    at = open_section(app_test(), "test")
    assert not at.number_input(key=Key.TEST_INDEX).proto.has_min  # no bound of Streamlit's: the page decides
    at.number_input(key=Key.TEST_INDEX).set_value(typed).run()
    expected = 0 if typed < 0 else len(tiny_data.y_test) - 1
    assert shown_test_image(at)["index"] == expected and at.number_input(key=Key.TEST_INDEX).value == expected


@pytest.mark.parametrize("typed", [-1, 70_000])
def test_a_data_row_past_either_end_shows_the_nearest_row_in_the_field_too(app_test, tiny_data, tiny_mnist, typed):
    at = open_section(app_test(), "data")
    field = at.number_input(key=Key.DATA_INDEX)
    assert not field.proto.has_min and not field.proto.has_max
    field.set_value(typed).run()
    expected = 0 if typed < 0 else len(tiny_mnist.labels) - 1
    assert at.number_input(key=Key.DATA_INDEX).value == expected
    assert f'data-row="{expected}">' in markdown_text(at)


@pytest.mark.parametrize("lang", LANGS)
def test_an_empty_name_is_refused_under_the_field_with_its_own_words(app_test, tiny_data, lang):
    at = train_tiny(app_test(lang))
    at.button(key="save_button").click().run()
    assert [e.value for e in at.error] == [T(lang, "train.not_saved", reason=T(lang, "train.empty_name"))]
    (column,) = [c for c in at.columns if any(f.key == Key.SAVE_NAME for f in c.text_input)]
    assert [e.value for e in column.error] == [at.error[0].value]  # in the name's column, right under it
