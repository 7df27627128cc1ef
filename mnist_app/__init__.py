"""mnist_app: the Streamlit side of the demo. `app.py` is its frame; `mnist_core` does the machine learning.

settings (environment and limits), state (session keys and defaults), i18n (Korean and English
catalogues), style (CSS), resources (what all sessions share), catalogue (checkpoints, saved models and
the active model), training (a session's trainings), components (pictures, charts, cards, canvas),
frame (header, navigation, URL) and sections/ (one module per section). room/ is what a class shares,
in its database (drawings, saved models, the training queue), and worker the process that trains;
neither imports streamlit.
"""
