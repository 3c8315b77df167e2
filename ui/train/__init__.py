"""The Train page (pages/1_Train.py): the form, the live run, the network learning, the runs table."""
