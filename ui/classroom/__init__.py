"""The Class page (pages/4_Class.py): students join a class, its teacher runs it.

join.py (the join link's page, before any lab is opened), device.py (this device's cookie per class),
plain.py (nicknames and class names always shown as text), rooms.py (which class: create, pick, limits,
share a model, export), link.py (the join link, its QR code, closing it), roster.py (who joined),
drawings.py (the class's drawings by digit), check.py (a model on the class's drawings).
"""
