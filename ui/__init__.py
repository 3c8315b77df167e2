"""Streamlit and plotly helpers shared by the pages: one file per concern.

    ui/models.py   cached model loading and model pickers (any page)
    ui/charts.py   plotly figure builders (any page)
    ui/draw_*.py   the Draw page's panels
"""
