"""The Inside page (pages/3_Inside.py): every neuron of a model, its layers, its hidden space, and the
replay of how it learned (`replay.replay_ui`).

Also the pieces other pages borrow: links to a neuron (`link.neuron_links`) and the
"why this digit and not that one" view (`why_not`).
"""
