"""Words the catalogues cannot know in advance: Korean particles by the last sound of what is filled
in, English plurals by the number, durations as people say them, and models named for people."""

from __future__ import annotations

import pytest

from mnist_app import i18n
from mnist_app.i18n import duration, particle, text_in
from mnist_app.state import OWN_MODEL

# How each digit is read (영 일 이 삼 사 오 육 칠 팔 구): 으로 only after 영, 삼, 육, whose final
# consonant is not ㄹ; 로 after a vowel (이 사 오 구) and after ㄹ (일 칠 팔).
RO = {0: "으로", 1: "로", 2: "로", 3: "으로", 4: "로", 5: "로", 6: "으로", 7: "로", 8: "로", 9: "로"}
EUN = {0: "은", 1: "은", 2: "는", 3: "은", 4: "는", 5: "는", 6: "은", 7: "은", 8: "은", 9: "는"}


@pytest.mark.parametrize("digit", range(10))
def test_particles_after_each_digit(digit):
    assert particle(str(digit), "(으)로") == RO[digit]
    assert particle(str(digit), "은(는)") == EUN[digit]
    assert particle(str(digit), "이(가)") == {"은": "이", "는": "가"}[EUN[digit]]
    assert particle(str(digit), "을(를)") == {"은": "을", "는": "를"}[EUN[digit]]
    assert particle(str(digit), "과(와)") == {"은": "과", "는": "와"}[EUN[digit]]


@pytest.mark.parametrize(
    "word, ro, eun",
    [
        ("내가 학습한 모델", "로", "은"),  # 델: ㄹ
        ("민수", "로", "는"),  # a vowel
        ("우리 반 모델", "로", "은"),
        ("학습", "으로", "은"),  # ㅂ
        ("내가 학습한 모델 (저장 안 됨)", "로", "은"),  # a bracket adds to the word before it
        ("'tutorial'", "로", "은"),  # quotes are not read; 튜토리얼: ㄹ
        ("**best_mlp**", "로", "는"),  # 엠엘피
        ("wide", "로", "는"),  # 와이드
        ("minsu-3epoch", "로", "는"),  # 에포크
        ("resnet", "으로", "은"),  # 넷
        ("MLP", "로", "는"),  # capitals are spelled: 피
        ("CNN", "으로", "은"),  # 엔
        ("10", "으로", "은"),  # 십
        ("2018", "로", "은"),  # 이천십팔
        ("60,000", "으로", "은"),  # 육만
        ("0.01", "로", "은"),  # 영 점 영일
        ("99.31%", "로", "는"),  # 퍼센트
        ("약 11시간", "으로", "은"),
        ("5분", "으로", "은"),
        ("45초", "로", "는"),
    ],
)
def test_particles_after_names_and_numbers(word, ro, eun):
    assert particle(word, "(으)로") == ro
    assert particle(word, "은(는)") == eun


def test_a_word_whose_sound_cannot_be_told_keeps_both_forms():
    assert particle("…", "은(는)") == "은(는)"


def test_the_catalogue_fills_particles_where_they_stand():
    assert text_in("ko", "room.tile", predicted=3, meant=8) == "3으로 읽음 (쓴 숫자 8)"
    assert text_in("ko", "room.tile", predicted=9, meant=4) == "9로 읽음 (쓴 숫자 4)"
    line = text_in("ko", "room.compared", total=5, a="tutorial", a_right=3, b="best_mlp", b_right=4)
    assert "**tutorial**은 **3**개, **best_mlp**는 **4**개" in line
    assert text_in("ko", "train.saved", name="민준").startswith("'민준'으로 저장했습니다")
    assert text_in("ko", "train.saved", name="mina").startswith("'mina'로 저장했습니다")


def test_english_plurals_agree_with_the_number():
    assert text_in("en", "model.training", epochs=1, lr="0.01", batch=64) == "1 epoch, lr 0.01, batch 64"
    assert text_in("en", "model.training", epochs=3, lr="0.01", batch=64) == "3 epochs, lr 0.01, batch 64"
    assert i18n.finish("**1** test image(s), 2 box(es)", "en") == "**1** test image, 2 boxes"


@pytest.mark.parametrize(
    "seconds, ko, en",
    [
        (0, "0초", "0 seconds"),
        (45, "45초", "45 seconds"),
        (80, "1분 20초", "1 minute 20 seconds"),
        (300, "5분", "5 minutes"),
        (1500, "25분", "25 minutes"),
        (4800, "1시간 20분", "1 hour 20 minutes"),
        (663 * 60 + 56, "11시간", "11 hours"),  # the "663 min 56 s"
        (5 * 86_400, "5일", "5 days"),
    ],
)
def test_durations_read_as_people_say_them(seconds, ko, en):
    assert duration(seconds, "ko") == ko
    assert duration(seconds, "en") == en


def test_the_too_long_refusal_says_about_eleven_hours():
    reason = text_in("ko", "train.too_long", estimate=duration(39836, "ko"), limit=duration(300, "ko"))
    assert reason.startswith("예상 학습 시간이 약 11시간으로, 이 서버에서 허용하는 5분을 넘습니다.")


@pytest.mark.parametrize("lang, name", [("ko", "내가 학습한 모델"), ("en", "the model I trained")])
def test_the_internal_id_never_reaches_a_sentence(lang, name):
    line = text_in(lang, "room.accuracy_room", model=OWN_MODEL)
    assert OWN_MODEL not in line and name in line
    assert text_in(lang, "model.dropout", p="0.2") in ("드롭아웃 0.2", "dropout 0.2")
