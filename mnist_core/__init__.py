"""mnist_core: the tutorial "다층 퍼셉트론으로 MNIST 분류하기" as a small, tested library."""

__version__ = "0.1.0"
