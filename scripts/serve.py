"""Run the app as `streamlit run` does, with Streamlit kept offline from the start,
and only as it may run (`ui.startup`): team mode needs sign-in configured, and without
sign-in it listens on this machine only.

`app.py` keeps Streamlit offline once a page has opened it; a connection tried
before that (by a page elsewhere) would still make Streamlit look up this
machine's public address. Started through here, it never does.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from streamlit.web.cli import main

from ui.offline import keep_streamlit_offline
from ui.startup import checked_arguments

if __name__ == "__main__":
    arguments = checked_arguments(sys.argv[1:], os.environ, Path.cwd(), Path.home())
    keep_streamlit_offline()
    sys.argv = ["streamlit", *arguments]
    sys.exit(main())
