"""mnist_app: the Streamlit side of the demo. `app.py` is its frame; `mnist_core` does the machine learning.

settings (environment and limits), state (session keys and defaults), i18n (Korean and English
catalogues), style (CSS), resources (what all sessions share), models (checkpoints and the active
model), jobs (the training worker; no streamlit), components (pictures, charts, cards, canvas),
frame (header, navigation, URL) and sections/ (one module per section).
"""
