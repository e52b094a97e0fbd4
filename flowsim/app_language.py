"""The language of a page of the app: each session's own choice, the sidebar's switch (its widget
key `KEY` in the session's state). A module-level setting was shared by every session the server
runs: one planner's switch to Vietnamese changed what another planner's English page was drawn in
(seen in two browsers clicking at once)."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from flowsim.i18n import DEFAULT, LANGUAGES

KEY = "lang"


def page_lang() -> str:
    """The language this session's page is drawn in (DEFAULT outside a page: the server preparing
    the first one)."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return DEFAULT
    chosen = st.session_state.get(KEY, DEFAULT)
    return chosen if chosen in LANGUAGES else DEFAULT
