"""`streamlit run` with the Train form's run slowed on purpose, so a browser's race with a rerun shows every time.

    DIGITLAB_FORM_DELAY=1.5 python -m tests.e2e.slow_streamlit run app.py ...

The delay comes before the form is drawn, the way a busy server is slow: the browser goes on showing
the old form, and whatever it sends meanwhile meets a session whose form has already changed.
"""

import os
import sys
import time

from streamlit.web.cli import main

import ui.train.form

DELAY_S = float(os.environ.get("DIGITLAB_FORM_DELAY", "1.5"))
_form_ui = ui.train.form.form_ui


def slow_form_ui(*args, **kwargs):
    time.sleep(DELAY_S)
    return _form_ui(*args, **kwargs)


ui.train.form.form_ui = slow_form_ui  # the page imports form_ui from the module at each run: it gets this one

if __name__ == "__main__":
    sys.exit(main())
