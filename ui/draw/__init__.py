"""The Draw page (app.py): canvas input, the live panel (an st.fragment), reading, explanations, Teach it."""
