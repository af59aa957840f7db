"""Run the app as `streamlit run` does, with Streamlit kept offline from the start.

`app.py` keeps Streamlit offline once a page has opened it; a connection tried
before that (by a page elsewhere) would still make Streamlit look up this
machine's public address. Started through here, it never does.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from streamlit.web.cli import main

from ui.offline import keep_streamlit_offline

if __name__ == "__main__":
    keep_streamlit_offline()
    sys.argv = ["streamlit", *sys.argv[1:]]
    sys.exit(main())
