"""Streamlit and plotly pieces the pages compose, grouped by page.

ui/draw/     the Draw page (app.py): canvas input, the live panel, reading, explanations, Teach it
ui/train/    the Train page: form, live run, learning view, runs table
ui/errors/   the Errors page: loaders, confusion matrix, galleries, the sample dialog
ui/inside/   the Inside page: neuron inspector, layer overview, hidden space, replay
ui/models.py, ui/charts.py, ui/nav.py, ui/perf.py, ui/live_chart.py   shared by every page
"""
