"""Streamlit pieces of the page that grew too large for app.py: widgets only, work in geo/."""
