"""The Train page's views (pages/1_Train.py); ui/train/learning.py is the live look at the network learning."""
