"""The explorer on one host and port: the page (`app.py`) and the routes it needs
(`ui.routes`: the imagery tiles), served by Streamlit's ASGI app.

`python scripts/dev.py run` starts it (through `scripts/serve.py`, so Streamlit
stays offline); so does `streamlit run server.py`. `streamlit run app.py` still
shows the page, without the imagery tiles.
"""

import streamlit as st

from ui.routes import ROUTES

app = st.App("app.py", routes=ROUTES)
